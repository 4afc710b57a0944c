import pc from 'picocolors';

/** Where output goes, and whether it is for a script (`--json`) or a person. */
export interface Output {
  readonly json: boolean;
  /** Writes a line to stdout. */
  line(text: string): void;
  /** Writes a value as indented JSON (for `--json`). */
  data(value: unknown): void;
}

export function stdoutOutput(json: boolean): Output {
  return {
    json,
    line: (text) => void process.stdout.write(`${text}\n`),
    data: (value) => void process.stdout.write(`${JSON.stringify(value, null, 2)}\n`),
  };
}

/**
 * Colours only on a terminal without NO_COLOR or TERM=dumb; FORCE_COLOR (but `0`) forces them
 * anywhere, NO_COLOR included. picocolors alone would also colour a pipe whenever CI is set.
 */
const coloured =
  (process.env.FORCE_COLOR !== undefined && process.env.FORCE_COLOR !== '0') ||
  (process.stdout.isTTY === true && (process.env.NO_COLOR ?? '') === '' && process.env.TERM !== 'dumb');
export const colour = pc.createColors(coloured);

// ANSI colour codes take no room on screen: widths are measured without them.
// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*m/g;
const width = (text: string): number => text.replace(ANSI, '').length;

/** Rows under a header, each column as wide as its widest cell. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((title, column) => Math.max(width(title), ...rows.map((row) => width(row[column] ?? ''))));
  const render = (cells: readonly string[]) =>
    cells
      .map((cell, column) => (column === cells.length - 1 ? cell : cell + ' '.repeat(widths[column]! - width(cell))))
      .join('  ')
      .trimEnd();
  return [colour.bold(render(header)), ...rows.map(render)].join('\n');
}

const UNITS: readonly [string, number][] = [
  ['d', 86_400_000],
  ['h', 3_600_000],
  ['min', 60_000],
  ['s', 1_000],
];

/** A duration in words: "3 h 12 min", "45 s", "250 ms". */
export function duration(ms: number): string {
  const abs = Math.abs(ms);
  if (abs < 1_000) return `${Math.round(abs)} ms`;
  const parts: string[] = [];
  let rest = abs;
  for (const [unit, size] of UNITS) {
    if (rest >= size && parts.length < 2) {
      parts.push(`${Math.floor(rest / size)} ${unit}`);
      rest %= size;
    }
  }
  return parts.join(' ');
}

/** A time relative to now: "in 3 h 12 min", "5 min ago", "now". */
export function relative(date: Date, now = Date.now()): string {
  const diff = date.getTime() - now;
  if (Math.abs(diff) < 1_000) return 'now';
  return diff > 0 ? `in ${duration(diff)}` : `${duration(diff)} ago`;
}

/** A time in a zone, to the second: "2026-12-08 03:00:00 Europe/Berlin". */
export function inZone(date: Date, timezone: string): string {
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone: timezone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(date);
  const get = (type: string) => parts.find((part) => part.type === type)?.value ?? '';
  return `${get('year')}-${get('month')}-${get('day')} ${get('hour')}:${get('minute')}:${get('second')} ${timezone}`;
}

/** A time as a person reads it: in the zone given, and relative to now. */
export function when(date: Date | null, timezone: string, now = Date.now()): string {
  return date === null ? colour.dim('—') : `${inZone(date, timezone)} (${relative(date, now)})`;
}

const STATE_COLOURS: Record<string, (text: string) => string> = {
  scheduled: colour.green,
  running: colour.cyan,
  paused: colour.yellow,
  pending: colour.dim,
  succeeded: colour.green,
  failed: colour.red,
  interrupted: colour.red,
  missed: colour.yellow,
  skipped: colour.yellow,
};

/** A state or outcome, coloured. */
export function badge(text: string): string {
  return (STATE_COLOURS[text] ?? ((value: string) => value))(text);
}
