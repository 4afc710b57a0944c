// A task's run history: newest first, with older pages fetched on demand. A live refresh
// reloads the newest page and keeps the older ones already shown.
import { api } from '../api.js';
import { emptyRow, h, outcomeBadge, replaceKeepingFocus, scrollTable, timeEl } from '../dom.js';
import { showError } from '../feedback.js';
import { formatDuration } from '../format.js';

const PAGE_SIZE = 50;
/** A run missed many times over stands for many fire times; the table shows the first few. */
const SHOWN_FIRE_TIMES = 3;
const COLUMNS = ['Ended', 'Outcome', 'Duration', 'Instance', 'Scheduled', 'Details'];

export function runHistory(ctx) {
  const { wrap, tbody } = scrollTable({ caption: 'Run history', columns: COLUMNS, testid: 'runs', className: 'runs-table' });
  const older = h('button', { type: 'button', hidden: true }, 'Older runs');
  let runs = [];
  let target = null;
  /** Stacks the user opened stay open across refreshes. */
  const openStacks = new Set();

  older.addEventListener('click', async () => {
    older.disabled = true;
    try {
      const before = runs.at(-1)?.endedAt;
      const page = await api.runs(target.id, target.store, { limit: PAGE_SIZE, before }, ctx.signal);
      const known = new Set(runs.map((r) => r.runId));
      runs = [...runs, ...page.runs.filter((r) => !known.has(r.runId))];
      older.hidden = page.runs.length < PAGE_SIZE;
      render();
    } catch (error) {
      showError(error);
    } finally {
      older.disabled = false;
    }
  });

  function render() {
    replaceKeepingFocus(tbody, runs.length ? runs.map((run) => runRow(run, openStacks)) : emptyRow(COLUMNS.length, 'No runs recorded yet.'));
  }

  return {
    element: h('div', {}, wrap, h('div', { class: 'pager' }, older)),
    /** Loads the newest page for the task (id and store as the server named them). */
    async refresh(id, store) {
      target = { id, store };
      const page = await api.runs(id, store, { limit: PAGE_SIZE }, ctx.signal);
      const newest = page.runs;
      const oldestNew = newest.at(-1)?.endedAt;
      const ids = new Set(newest.map((r) => r.runId));
      // Older pages the user fetched stay below the fresh newest page.
      const kept = oldestNew ? runs.filter((r) => !ids.has(r.runId) && r.endedAt < oldestNew) : [];
      const nextRuns = [...newest, ...kept];
      if (runs.length === 0) older.hidden = newest.length < PAGE_SIZE;
      if (JSON.stringify(nextRuns) === JSON.stringify(runs) && tbody.childElementCount) return;
      runs = nextRuns;
      render();
    },
  };
}

function runRow(run, openStacks) {
  const scheduled = run.scheduledAt ?? [];
  return h(
    'tr',
    { dataset: { runId: run.runId } },
    h('td', {}, timeEl(run.endedAt)),
    h('td', {}, outcomeBadge(run.outcome)),
    h('td', { class: 'num' }, formatDuration(run.duration)),
    h('td', { class: 'mono', title: run.instanceId }, run.instanceId),
    h(
      'td',
      {},
      scheduled.slice(0, SHOWN_FIRE_TIMES).map((at) => h('div', {}, timeEl(at, { relative: false }))),
      scheduled.length > SHOWN_FIRE_TIMES ? h('div', { class: 'muted' }, `and ${scheduled.length - SHOWN_FIRE_TIMES} more`) : null,
    ),
    h('td', { class: 'run-details' }, runDetails(run, openStacks)),
  );
}

function runDetails(run, openStacks) {
  if (run.error) {
    const stack = run.error.stack
      ? h('details', { open: openStacks.has(run.runId) }, h('summary', { 'data-focus-key': `stack:${run.runId}` }, 'Stack'), h('pre', {}, run.error.stack))
      : null;
    stack?.addEventListener('toggle', () => (stack.open ? openStacks.add(run.runId) : openStacks.delete(run.runId)));
    return [h('p', { class: 'error-text' }, run.error.code ? h('span', { class: 'mono' }, `${run.error.code}: `) : null, run.error.message), stack];
  }
  if (run.result !== undefined) return h('code', { class: 'result' }, run.result);
  return null;
}
