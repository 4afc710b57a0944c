// Dates and durations as people read them. The browser's locale decides the format; the
// times are shown in the browser's time zone (the ISO value stays in a <time> element's title).

const dateTimeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
const relativeFormat = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto', style: 'short' });

const UNITS = [
  ['year', 31_536_000],
  ['month', 2_592_000],
  ['week', 604_800],
  ['day', 86_400],
  ['hour', 3_600],
  ['minute', 60],
];

/** A Date from an ISO string, or null when there is none (or it is not a date). */
export function parseDate(value) {
  if (value === null || value === undefined || value === '') return null;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? null : date;
}

export function formatLocal(date) {
  return dateTimeFormat.format(date);
}

/** "in 3 min", "5 min ago", "now". */
export function formatRelative(date, now = Date.now()) {
  const seconds = (date.getTime() - now) / 1000;
  for (const [unit, size] of UNITS) {
    // Switch units a little before a whole one, as people do ("in 1 hr" rather than "in 58 min").
    if (Math.abs(seconds) >= size * 0.95) return relativeFormat.format(Math.round(seconds / size), unit);
  }
  return relativeFormat.format(Math.abs(seconds) < 1 ? 0 : Math.round(seconds), 'second');
}

/** Milliseconds as "850 ms", "1.25 s", "42.5 s" or "3 min 20 s"; em dash when unknown. */
export function formatDuration(ms) {
  if (typeof ms !== 'number' || !Number.isFinite(ms)) return '—';
  if (ms < 1_000) return `${Math.round(ms)} ms`;
  if (ms < 10_000) return `${(ms / 1_000).toFixed(2)} s`;
  if (ms < 60_000) return `${(ms / 1_000).toFixed(1)} s`;
  const minutes = Math.floor(ms / 60_000);
  const seconds = Math.round((ms % 60_000) / 1_000);
  return seconds ? `${minutes} min ${seconds} s` : `${minutes} min`;
}

/** A value of unknown shape as readable JSON (task args, trigger options). */
export function formatJSON(value) {
  try {
    return JSON.stringify(value, null, 2) ?? String(value);
  } catch {
    return String(value);
  }
}

/** The value a <input type="datetime-local" step="1"> shows for a date, in local time. */
export function toLocalInputValue(date) {
  const pad = (n) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}
