// DOM building without HTML strings: text from the API only ever becomes text nodes or attribute
// values, so a task named `<img src=x onerror=alert(1)>` shows as just that.
import { formatDuration, formatLocal, formatRelative, parseDate } from './format.js';

/** Set as properties, not attributes, so that they track the element's live state. */
const PROPERTIES = new Set(['hidden', 'disabled', 'value', 'checked', 'selected', 'open', 'required']);

/**
 * `h('a', { href, class, dataset, on: { click } }, ...children)`. Children are nodes, strings,
 * numbers or arrays of them; null, undefined and false are skipped.
 */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') el.className = value;
    else if (key === 'dataset') Object.assign(el.dataset, value);
    else if (key === 'on') for (const [type, listener] of Object.entries(value)) el.addEventListener(type, listener);
    else if (PROPERTIES.has(key)) el[key] = value;
    else if (/^on|^style$|html$/i.test(key)) throw new Error(`dom.h: ${key} is refused (CSP and XSS safety)`);
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  el.append(...nodes(children));
  return el;
}

function nodes(children) {
  return children.flat(Infinity).filter((c) => c !== null && c !== undefined && c !== false).map((c) => (c instanceof Node ? c : String(c)));
}

/** `el.append` that takes what h() takes (arrays, and null for "nothing"). */
export function append(el, ...children) {
  el.append(...nodes(children));
}

/**
 * Replaces a container's children after a live refresh without losing the user's place: the
 * focused element is found again by its `data-focus-key` in the new content. Scroll positions
 * hold because the replacement happens in one synchronous step (no empty frame in between).
 */
export function replaceKeepingFocus(container, ...children) {
  const active = document.activeElement;
  const key = active && active !== container && container.contains(active) ? active.dataset.focusKey : undefined;
  container.replaceChildren(...nodes(children));
  if (key) container.querySelector(`[data-focus-key="${CSS.escape(key)}"]`)?.focus({ preventScroll: true });
}

/** Class-name tokens from API values must not split into several classes or carry odd chars. */
const token = (value) => String(value).replace(/[^a-z0-9_-]/gi, '-');

export const stateBadge = (state) => h('span', { class: `state state-${token(state)}` }, state);
export const outcomeBadge = (outcome) => h('span', { class: `outcome outcome-${token(outcome)}` }, outcome);

/**
 * A <time> showing local time and, below it, a relative one ("in 3 min") that app.js keeps
 * current. An em dash when there is no date.
 */
export function timeEl(value, { relative = true } = {}) {
  const date = parseDate(value);
  if (!date) return h('span', { class: 'muted' }, '—');
  return h(
    'time',
    { datetime: date.toISOString(), title: date.toISOString() },
    formatLocal(date),
    relative ? h('span', { class: 'rel' }, formatRelative(date)) : null,
  );
}

/** Brings every relative time on the page up to date (called on a timer). */
export function tickRelativeTimes() {
  const now = Date.now();
  for (const span of document.querySelectorAll('time[datetime] > .rel')) {
    const date = parseDate(span.parentElement.getAttribute('datetime'));
    if (date) span.textContent = formatRelative(date, now);
  }
}

/** "failed · 1.25 s" style summary of a run, for tables that only have room for one cell. */
export function runSummary(run) {
  if (!run) return h('span', { class: 'muted' }, 'never');
  return h('span', { class: 'run-summary' }, outcomeBadge(run.outcome), ' ', h('span', { class: 'muted' }, formatDuration(run.duration)), timeEl(run.endedAt));
}

/**
 * A table inside a horizontally scrolling wrapper (narrow screens). Returns the wrapper, the
 * table and its tbody, which callers refill with replaceKeepingFocus.
 */
export function scrollTable({ caption, columns, testid, className }) {
  const tbody = h('tbody');
  const table = h(
    'table',
    { class: className, 'data-testid': testid },
    caption ? h('caption', { class: 'sr-only' }, caption) : null,
    h('thead', {}, h('tr', {}, columns.map((c) => (c instanceof Node ? c : h('th', { scope: 'col' }, c))))),
    tbody,
  );
  return { wrap: h('div', { class: 'table-wrap' }, table), table, tbody };
}

/** The one row of an empty table, spanning all columns. */
export const emptyRow = (columns, text) => h('tr', { class: 'empty' }, h('td', { colspan: columns }, text));

/** A <dl> from [label, value] pairs; rows with an undefined value are skipped. */
export function definitionList(rows, className = 'fields') {
  return h(
    'dl',
    { class: className },
    rows.filter(([, value]) => value !== undefined).map(([label, value]) => h('div', {}, h('dt', {}, label), h('dd', {}, value))),
  );
}

/** A page heading that receives focus after navigation, so screen readers announce the page. */
export const pageHeading = (...children) => h('h1', { tabindex: '-1' }, ...children);
