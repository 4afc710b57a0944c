/**
 * Versioned files with compare-and-swap, the heart of the file store.
 *
 * Each key (a task, a run-lease slot) is a series of immutable files `<key>.<generation><suffix>`;
 * the highest generation is the current state. A change publishes generation g+1 with
 * `link(temp, name)`, which fails with `EEXIST` when another process published g+1 first: that
 * is the compare-and-swap, and it needs no lock files, so a process that dies holds nothing.
 *
 * Superseded generations are not deleted at once. If generation g+1 could disappear while another
 * process, having seen g as current a moment earlier, is about to link g+1, that link would
 * succeed and put a stale change behind the real current state. So a superseded file is kept
 * {@link RETENTION_MS} after it was written, and a change built on a view older than
 * {@link STALE_VIEW_MS} is given up and retried: the name can then never be free in between.
 *
 * Finished keys (tombstones, free lease slots) are deleted whole {@link COLLECT_AFTER_MS} after
 * they finished. That frees the current name too; the one race left is a writer that saw that
 * very tombstone an instant before it was collected, while a third process creates the key
 * anew: a window of a few file operations, ten minutes after the key was finished.
 */
import { link, readdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { errors } from '../../errors/index.js';
import { eachLimited, errorCode, isTempName, removeQuietly, syncDirectory, writeTempFile } from './disk.js';
import { KeptListing, type Listing } from './kept-listing.js';
import { entryProblem, jsonProblem, lstatIfExists, readRegularFile } from './safe-read.js';

/** Digits of a generation in a file name, zero-padded so that a listing sorts by generation. */
const GENERATION_DIGITS = 12;
/** The oldest view a change may be built on (see the module comment). */
export const STALE_VIEW_MS = 5_000;
/** How long a superseded generation is kept; well above {@link STALE_VIEW_MS}. */
export const RETENTION_MS = 15_000;
/** How long a finished key (a tombstone, a free run-lease slot) stays before it is deleted. */
export const COLLECT_AFTER_MS = 10 * 60_000;
/**
 * How long parsed contents are trusted. Generation files never change, but once a key was
 * collected its generation numbers start again at 1, and a collected key was finished for at
 * least {@link COLLECT_AFTER_MS}: a cache entry younger than that cannot be from its earlier life.
 */
const CACHE_TRUST_MS = COLLECT_AFTER_MS / 2;
/** A temporary file this old was left behind by a crash. */
const ABANDONED_TEMP_MS = 60_000;
/** How many times reading one key is tried while other processes keep changing it. */
const MAX_READ_ATTEMPTS = 20;
const READ_CONCURRENCY = 16;

/** The current generation of a key as seen at `seenAt`; `generation` 0 and `doc` null when it has none. */
export interface Head<TDoc> {
  readonly key: string;
  readonly generation: number;
  readonly doc: TDoc | null;
  /** `Date.now()` when the next generation was known not to exist: the age of this view. */
  readonly seenAt: number;
}

/** What a directory entry's name stands for (see {@link GenerationFiles.parseName}). */
type ParsedName = { readonly key: string; readonly generation: number } | 'foreign' | 'temp' | undefined;

/** A current generation file that could not be read. */
export interface UnreadableFile {
  readonly key: string;
  readonly generation: number;
  readonly fileName: string;
  /**
   * Its bytes; absent when it was not read at all (not a regular file, or too large), and then
   * nothing of it may be copied or shown: it may be a link to anything.
   */
  readonly raw?: Buffer;
  /** Why it cannot be read: completes "its file <name> ...", without quoting its content. */
  readonly reason: string;
  /** When it was known to be current (see {@link Head.seenAt}). */
  readonly seenAt: number;
}

/** Names created or removed, so that a watcher can tell this process's changes from others'. */
export interface NameLog {
  add(name: string): void;
  delete(name: string): void;
}

export interface GenerationFilesOptions<TDoc extends object> {
  readonly directory: string;
  /** Ends every generation file's name, e.g. `.task`. */
  readonly suffix: string;
  /** Whether `key` is a key of this set; a file with the suffix but another name is foreign. */
  isKey(key: string): boolean;
  /** The largest file read (see {@link readRegularFile}); larger ones are unreadable, unread. */
  readonly maxFileSize: number;
  /** Checks parsed JSON: the document, or why it is not one. */
  validate(value: unknown, key: string): TDoc | string;
  /** Whether a current document is finished and old enough to delete with its whole key. */
  collectable(doc: TDoc, now: number): boolean;
  /**
   * Called for a current file that cannot be read: returns a document to use in its place, or
   * `undefined` once it made the file no longer current (e.g. published a tombstone over it).
   */
  unreadable(file: UnreadableFile): Promise<TDoc | undefined>;
  /** Called for a file with the suffix whose name is not `<key>.<generation><suffix>`. */
  foreign?(fileName: string): Promise<void>;
  /**
   * Moves out of the directory, as it is, an entry due for removal that was never read (not a
   * regular file, or too large: it is kept for someone to look at, not deleted unseen) or that
   * cannot be unlinked (a directory). `reason` completes "its file <name> ...". Resolves to
   * whether it is gone.
   */
  setAside?(fileName: string, reason: string): Promise<boolean>;
  readonly names?: NameLog;
}

/** One directory of versioned files (see the module comment). */
export class GenerationFiles<TDoc extends object> {
  /** The highest generation last seen per key: where probing for the current one starts. */
  private readonly latest = new Map<string, number>();
  /** Parsed contents by file name, with when they were read. */
  private readonly cache = new Map<string, { readonly doc: TDoc; readonly readAt: number }>();
  /** When a file waiting to be swept is worth looking at again, by name. */
  private readonly sweepAfter = new Map<string, number>();
  /** What each name in the directory stands for: a listing parses thousands of names, mostly the same ones. */
  private readonly parsedNames = new Map<string, ParsedName>();
  /** The listing being read, shared by the callers that ask meanwhile (see {@link scan}). */
  private scanning: { readonly listing: Promise<Listing>; readonly changes: number } | undefined;
  /** Files this process published or removed so far: a listing begun before one of them is not shared. */
  private changes = 0;
  /** The listing kept between the dispatcher's calls (see {@link keepListing}). */
  private readonly kept = new KeptListing();

  constructor(private readonly options: GenerationFilesOptions<TDoc>) {}

  get directory(): string {
    return this.options.directory;
  }

  fileName(key: string, generation: number): string {
    return `${key}.${String(generation).padStart(GENERATION_DIGITS, '0')}${this.options.suffix}`;
  }

  /** Whether `name` is a generation file of this set. */
  isGenerationFile(name: string): boolean {
    return typeof this.lookUpName(name) === 'object';
  }

  /**
   * Every key's current generation; finished keys old enough are deleted on the way. With
   * `kept`, while a listing is kept (see {@link keepListing}), only the keys changed since are
   * looked at again: for the dispatcher's calls, which those changes wake anyway. Without, the
   * directory is listed, so that what another process just did is always seen.
   */
  async heads(filter?: (key: string) => boolean, { kept = false }: { readonly kept?: boolean } = {}): Promise<Head<TDoc>[]> {
    const view = kept && this.kept.on ? await this.kept.view(() => this.scan(), (key) => this.head(key), (key) => this.latest.has(key)) : await this.scan();
    if (view instanceof Map) {
      const heads: Head<TDoc>[] = [];
      await eachLimited([...view], READ_CONCURRENCY, async ([key, { generation, seenAt }]) => {
        if (filter !== undefined && !filter(key)) return;
        heads.push((await this.readHead(key, generation, seenAt)) ?? (await this.head(key)));
      });
      return heads;
    }
    const { generations: listing, seenAt } = view;
    const heads: Head<TDoc>[] = [];
    await eachLimited([...listing], READ_CONCURRENCY, async ([key, generations]) => {
      if (filter !== undefined && !filter(key)) return;
      const head = (await this.readHead(key, generations.at(-1)!, seenAt)) ?? (await this.head(key));
      if (!(await this.tidy(key, generations, head))) heads.push(head);
    });
    return heads;
  }

  /**
   * Keeps the listing between calls of {@link heads} that ask for it (`true`), told of every
   * change other processes make through {@link noteChange}; or lists the directory at every call
   * (`false`, the default, and whenever changes cannot be watched reliably). See {@link KeptListing}.
   */
  keepListing(on: boolean): void {
    this.kept.keep(on);
  }

  /** Another process created or removed `name`; `null` when names changed but which is unknown. */
  noteChange(name: string | null): void {
    if (!this.kept.on) return;
    const parsed = name === null ? null : this.lookUpName(name);
    if (parsed === null || typeof parsed === 'object') this.kept.changed(parsed === null ? null : parsed.key);
  }

  /** The keys that had files when this process last looked, or that it wrote since, for which `filter` holds. */
  knownKeys(filter: (key: string) => boolean): string[] {
    return [...this.latest.keys()].filter(filter);
  }

  /** The current generation of one key, read fresh (a few file checks when the key is known). */
  async head(key: string): Promise<Head<TDoc>> {
    for (let attempt = 0; attempt < MAX_READ_ATTEMPTS; attempt++) {
      const known = this.latest.get(key);
      const probed = known === undefined ? undefined : await this.probe(key, known);
      if (probed !== undefined) return probed;
      const listing = await this.scan();
      const { seenAt } = listing;
      const generations = listing.generations.get(key);
      if (generations === undefined) return { key, generation: 0, doc: null, seenAt };
      const head = await this.readHead(key, generations.at(-1)!, seenAt);
      if (head !== undefined) return head;
    }
    throw errors.fileStoreUnsteadyRead(this.directory, key, MAX_READ_ATTEMPTS);
  }

  /**
   * Publishes `doc` as the generation after `head`. Resolves to `false` when another process
   * changed the key first (or the view is too old to build on): read it again and decide anew.
   */
  async publish(head: Head<TDoc>, doc: TDoc): Promise<boolean> {
    const generation = head.generation + 1;
    const name = this.fileName(head.key, generation);
    // A race already lost costs one check instead of a written and flushed file: when several
    // processes go for the same due tasks, most of their attempts end here.
    if (await this.exists(name)) return this.kept.lost(head.key);
    const temp = await writeTempFile(this.directory, JSON.stringify(doc));
    // No later generation can exist before this one does: once linked, this view is current from here.
    const linkedAt = Date.now();
    try {
      if (linkedAt - head.seenAt > STALE_VIEW_MS) return this.kept.lost(head.key);
      this.options.names?.add(name);
      try {
        await link(temp, join(this.directory, name));
      } catch (error) {
        this.options.names?.delete(name);
        if (errorCode(error) === 'EEXIST') return this.kept.lost(head.key);
        throw error;
      }
    } finally {
      await removeQuietly(temp);
    }
    this.changes++;
    this.kept.published(head.key, generation, linkedAt);
    await syncDirectory(this.directory);
    this.noteGeneration(head.key, generation);
    this.cache.set(name, { doc, readAt: Date.now() });
    return true;
  }

  /** Deletes every generation file and temporary file of this set (foreign files stay). */
  async removeAll(): Promise<void> {
    for (const name of await readdir(this.directory)) {
      if (isTempName(name) || this.isGenerationFile(name)) await this.removeFile(name);
    }
    this.latest.clear();
    this.cache.clear();
    this.parsedNames.clear();
    this.kept.keep(this.kept.on);
  }

  private parseName(name: string): { key: string; generation: number } | 'foreign' | undefined {
    const { suffix } = this.options;
    if (!name.endsWith(suffix) || name.startsWith('.')) return undefined;
    const match = /^(.+)\.(\d+)$/.exec(name.slice(0, -suffix.length));
    if (match === null) return 'foreign';
    const [, key = '', digits = ''] = match;
    const generation = Number(digits);
    const canonical = generation >= 1 && digits.length === GENERATION_DIGITS && this.options.isKey(key);
    return canonical ? { key, generation } : 'foreign';
  }

  /**
   * Lists the directory (see {@link readListing}). Callers that ask while a listing is being read
   * share it, unless this process changed a file since it began: a listing then may not show that
   * change, and this process must always see its own. Sharing is what keeps a burst of run leases
   * or several wake-ups from listing a directory of thousands of files once each.
   */
  private scan(): Promise<Listing> {
    const running = this.scanning;
    if (running !== undefined && running.changes === this.changes) return running.listing;
    const listing = this.readListing();
    const scanning = { listing, changes: this.changes };
    this.scanning = scanning;
    const done = (): void => {
      if (this.scanning === scanning) this.scanning = undefined;
    };
    listing.then(done, done);
    return listing;
  }

  /** Lists the directory: every key's generations, ascending. Sweeps temp files, reports foreign ones. */
  private async readListing(): Promise<Listing> {
    const seenAt = Date.now();
    const names = await readdir(this.directory);
    const generations = new Map<string, number[]>();
    const temps: string[] = [];
    const foreign: string[] = [];
    for (const name of names) {
      const parsed = this.parseKnownName(name);
      if (parsed === 'temp') temps.push(name);
      else if (parsed === 'foreign') foreign.push(name);
      else if (parsed !== undefined) {
        const known = generations.get(parsed.key);
        if (known === undefined) generations.set(parsed.key, [parsed.generation]);
        else known.push(parsed.generation);
      }
    }
    for (const list of generations.values()) if (list.length > 1) list.sort((a, b) => a - b);
    this.forgetAllBut(new Set(names), generations);
    const now = Date.now();
    for (const name of temps) await this.sweep(name, ABANDONED_TEMP_MS, now);
    for (const name of foreign) await this.options.foreign?.(name);
    return { generations, seenAt };
  }

  /**
   * {@link parseName}, remembered only by listings: names a watch reports are looked up, not
   * added, or a process that watches but never lists would remember every name it ever heard of.
   */
  private lookUpName(name: string): ParsedName {
    const known = this.parsedNames.get(name);
    if (known !== undefined || this.parsedNames.has(name)) return known;
    return isTempName(name) ? 'temp' : this.parseName(name);
  }

  /** {@link parseName}, remembered per name (a name always means the same). */
  private parseKnownName(name: string): ParsedName {
    const known = this.parsedNames.get(name);
    if (known !== undefined || this.parsedNames.has(name)) return known;
    const parsed = isTempName(name) ? 'temp' : this.parseName(name);
    this.parsedNames.set(name, parsed);
    return parsed;
  }

  /** Drops what is known about files that are gone; a listing is the truth at its time. */
  private forgetAllBut(names: ReadonlySet<string>, listing: ReadonlyMap<string, number[]>): void {
    for (const name of this.cache.keys()) if (!names.has(name)) this.cache.delete(name);
    for (const name of this.sweepAfter.keys()) if (!names.has(name)) this.sweepAfter.delete(name);
    for (const name of this.parsedNames.keys()) if (!names.has(name)) this.parsedNames.delete(name);
    for (const key of this.latest.keys()) if (!listing.has(key)) this.latest.delete(key);
    for (const [key, generations] of listing) this.latest.set(key, generations.at(-1)!);
  }

  /**
   * Finds the current generation from a known one upwards: generations grow by one, and
   * superseded ones are deleted lowest first. So when g+1 is missing and g is still there
   * afterwards, g was current at the moment g+1 was looked for.
   */
  private async probe(key: string, generation: number): Promise<Head<TDoc> | undefined> {
    for (let current = generation; ; current++) {
      const seenAt = Date.now();
      if (await this.exists(this.fileName(key, current + 1))) continue;
      if (!(await this.exists(this.fileName(key, current)))) return undefined;
      return this.readHead(key, current, seenAt);
    }
  }

  /** Reads one generation as the current one; `undefined` if it vanished or was unreadable and replaced. */
  private async readHead(key: string, generation: number, seenAt: number): Promise<Head<TDoc> | undefined> {
    const name = this.fileName(key, generation);
    const cached = this.cache.get(name);
    if (cached !== undefined && Date.now() - cached.readAt < CACHE_TRUST_MS) return { key, generation, doc: cached.doc, seenAt };
    const read = await readRegularFile(join(this.directory, name), this.options.maxFileSize);
    if (read === undefined) return undefined;
    let doc = 'refused' in read ? `${read.refused}; it was not read` : this.decode(read.raw, key);
    if (typeof doc === 'string') {
      const raw = 'raw' in read ? read.raw : undefined;
      const replacement = await this.options.unreadable({ key, generation, fileName: name, ...(raw === undefined ? {} : { raw }), reason: doc, seenAt });
      if (replacement === undefined) return undefined;
      doc = replacement;
    }
    this.cache.set(name, { doc, readAt: Date.now() });
    this.noteGeneration(key, generation);
    return { key, generation, doc, seenAt };
  }

  private decode(raw: Buffer, key: string): TDoc | string {
    let value: unknown;
    try {
      value = JSON.parse(raw.toString('utf8'));
    } catch (error) {
      return jsonProblem(error);
    }
    return this.options.validate(value, key);
  }

  /**
   * Deletes a finished key whose current document is old enough, or else the superseded
   * generations that are old enough. Always lowest generation first, stopping at the first that
   * stays: an older state must never become current, and {@link probe} relies on the order.
   * Resolves to whether the key is gone.
   */
  private async tidy(key: string, generations: readonly number[], head: Head<TDoc>): Promise<boolean> {
    const now = Date.now();
    if (head.doc !== null && head.generation === generations.at(-1) && this.options.collectable(head.doc, now)) {
      for (const generation of generations) if (!(await this.removeFile(this.fileName(key, generation)))) return false;
      this.latest.delete(key);
      this.kept.gone(key);
      return true;
    }
    for (const generation of generations) {
      if (generation >= head.generation || !(await this.sweep(this.fileName(key, generation), RETENTION_MS, now))) break;
    }
    return false;
  }

  /**
   * Removes `name` once it is `age` old by its modification time, looking at it no more often
   * than needed. Resolves to whether it is gone.
   */
  private async sweep(name: string, age: number, now: number): Promise<boolean> {
    if ((this.sweepAfter.get(name) ?? -Infinity) > now) return false;
    let entry;
    try {
      // The entry itself, never what a link points at.
      entry = await lstatIfExists(join(this.directory, name));
    } catch {
      return false;
    }
    if (entry === undefined) return true;
    if (now - entry.mtimeMs < age) {
      this.sweepAfter.set(name, entry.mtimeMs + age);
      return false;
    }
    const problem = entryProblem(entry, this.options.maxFileSize);
    // What was never read is kept, unread, for someone to look at (a directory cannot be unlinked anyway).
    return problem === undefined ? this.removeFile(name) : this.setAside(name, problem);
  }

  /** Deletes a file; resolves to whether it is gone (already gone counts). */
  private async removeFile(name: string): Promise<boolean> {
    this.changes++;
    this.options.names?.add(name);
    this.cache.delete(name);
    this.sweepAfter.delete(name);
    try {
      await unlink(join(this.directory, name));
      return true;
    } catch (error) {
      const code = errorCode(error);
      // A directory under a file's name (Linux says EISDIR, macOS EPERM).
      if (code === 'EISDIR') return this.setAside(name, 'is a directory, not a regular file');
      if (code === 'EPERM') return this.setAside(name, 'cannot be deleted (EPERM)');
      return code === 'ENOENT';
    }
  }

  /** See {@link GenerationFilesOptions.setAside}; one that cannot go is looked at again a while later. */
  private async setAside(name: string, reason: string): Promise<boolean> {
    this.changes++;
    this.options.names?.add(name);
    this.cache.delete(name);
    if (this.options.setAside !== undefined && (await this.options.setAside(name, reason))) {
      this.sweepAfter.delete(name);
      return true;
    }
    this.sweepAfter.set(name, Date.now() + RETENTION_MS);
    return false;
  }

  /** Whether an entry of that name exists, whatever it is: a link to nothing exists too. */
  private async exists(name: string): Promise<boolean> {
    return (await lstatIfExists(join(this.directory, name))) !== undefined;
  }

  private noteGeneration(key: string, generation: number): void {
    if ((this.latest.get(key) ?? 0) < generation) this.latest.set(key, generation);
  }
}
