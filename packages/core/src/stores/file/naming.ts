/**
 * How the file store turns task ids into file names and back.
 *
 * Only `a-z`, `0-9`, `.`, `_` and `-` are kept as they are; every other character is written as
 * `%XX` per UTF-8 byte, as `encodeURIComponent` does. Upper-case letters are escaped too, because
 * macOS and Windows file systems ignore case by default: ids `Report` and `report` must not land
 * in the same file. A leading `.` is escaped as well, so no encoded name is ever a hidden file
 * (those are the store's temporary files).
 */
import { errors } from '../../errors/index.js';

/** The most UTF-8 bytes a task id may have. */
export const MAX_ID_BYTES = 200;

/**
 * The most characters an encoded id may take. A generation file adds `.` + 12 digits + a suffix
 * of at most 16 characters, a run-lease file `.<slot>.` + 12 digits + `.lease`: both stay within
 * the 255 bytes most file systems allow for a name.
 */
export const MAX_ENCODED_LENGTH = 220;

const PLAIN = /^[a-z0-9._-]$/;
const ENCODED = /^(?:[a-z0-9._-]|%[0-9A-F]{2})+$/;
const LONE_SURROGATE = /\p{Cs}/u;

/** Encodes any well-formed string as a file-name-safe name (see the module comment). */
export function encodeName(text: string): string {
  let name = '';
  for (const char of text) {
    if (PLAIN.test(char) && !(name === '' && char === '.')) {
      name += char;
      continue;
    }
    for (const byte of Buffer.from(char, 'utf8')) name += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return name;
}

/** The text a name encodes, or `undefined` when it is not a name {@link encodeName} writes. */
export function decodeName(name: string): string | undefined {
  if (!ENCODED.test(name)) return undefined;
  let text: string;
  try {
    text = decodeURIComponent(name);
  } catch {
    return undefined;
  }
  // Only the one spelling encodeName produces counts, so that one id has exactly one file name.
  return encodeName(text) === name ? text : undefined;
}

const RULES =
  'a FileStore names its files after task ids, so an id must be non-empty, must not contain "/", "\\" or NUL, ' +
  `must not be "." or ".." or start with ".", and must be at most ${MAX_ID_BYTES} bytes in UTF-8 ` +
  `(and at most ${MAX_ENCODED_LENGTH} characters once characters other than a-z, 0-9, ".", "_" and "-" are escaped as %XX per byte)`;

/** Why `id` cannot name a task file, or `undefined` when it can. */
function refusal(id: string): string | undefined {
  if (id === '') return 'it is empty';
  if (id.includes('/') || id.includes('\\')) return 'it contains a path separator';
  if (id.includes('\0')) return 'it contains a NUL character';
  if (id.startsWith('.')) return id === '.' || id === '..' ? 'it names a directory' : 'it starts with "."';
  if (LONE_SURROGATE.test(id)) return 'it contains a lone UTF-16 surrogate, which has no UTF-8 form';
  const bytes = Buffer.byteLength(id, 'utf8');
  if (bytes > MAX_ID_BYTES) return `it is ${bytes} bytes long in UTF-8`;
  const length = encodeName(id).length;
  if (length > MAX_ENCODED_LENGTH) return `it takes ${length} characters once escaped`;
  return undefined;
}

/**
 * The file-name form of a task id; throws an `INVALID_OPTION` error naming the id and the rules
 * when the id could escape the directory or clash with the file system.
 */
export function taskKey(id: string): string {
  if (typeof id !== 'string') throw errors.invalidOption(undefined, 'task id', id, `${RULES}; a task id is a string`);
  const problem = refusal(id);
  if (problem !== undefined) throw errors.invalidOption(id, 'task id', id, `${problem}; ${RULES}`);
  return encodeName(id);
}

/** The task id a file-name key stands for, or `undefined` when no valid id encodes to it. */
export function taskIdOf(key: string): string | undefined {
  const id = decodeName(key);
  return id !== undefined && refusal(id) === undefined ? id : undefined;
}
