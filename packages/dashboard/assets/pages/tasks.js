// Tasks: a filterable, sortable, paged table. Its query lives in the hash
// (`#/tasks?q=foo&state=paused`) so that a filtered list can be shared and survives a reload.
import { api } from '../api.js';
import { append, emptyRow, h, pageHeading, replaceKeepingFocus, runSummary, scrollTable, stateBadge, timeEl } from '../dom.js';
import { showError } from '../feedback.js';
import { href } from '../router.js';
import { taskActionButtons } from './task-actions.js';

const STATES = ['pending', 'scheduled', 'paused', 'running'];
/** The built-in trigger types; others appear when the current page shows them. */
const TRIGGERS = ['cron', 'interval', 'date', 'and', 'or', 'shutdown'];
const SORTABLE = [
  ['name', 'Task'],
  ['handler', 'Handler'],
  ['trigger', 'Trigger'],
  ['store', 'Store'],
  ['state', 'State'],
  ['nextRunTime', 'Next run'],
];
const QUERY_KEYS = ['q', 'state', 'store', 'handler', 'trigger', 'sort', 'order', 'cursor'];
const DEFAULTS = { sort: 'nextRunTime', order: 'asc' };
const PAGE_SIZE = 50;
const SEARCH_DEBOUNCE_MS = 300;

/** The list as the user last left it, for the task page's way back. */
let lastListHash = href.tasks();
export const tasksListHash = () => lastListHash;

export function mountTasks(view, route, ctx) {
  ctx.setTitle('Tasks');
  const query = Object.fromEntries(QUERY_KEYS.map((key) => [key, route.params.get(key) ?? DEFAULTS[key] ?? '']));
  const canMutate = ctx.session.canMutate;
  lastListHash = location.hash || href.tasks();

  // --- filters -------------------------------------------------------------------------------
  const search = h('input', { type: 'search', id: 'task-search', name: 'q', value: query.q, autocomplete: 'off', spellcheck: 'false', placeholder: 'Name, id or handler' });
  let searchTimer;
  search.addEventListener('input', () => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(() => setQuery({ q: search.value.trim() }), SEARCH_DEBOUNCE_MS);
  });
  const selects = {
    state: filterSelect('state', 'State', 'All states', STATES),
    store: filterSelect('store', 'Store', 'All stores', []),
    handler: filterSelect('handler', 'Handler', 'All handlers', []),
    trigger: filterSelect('trigger', 'Trigger type', 'All triggers', TRIGGERS),
  };
  for (const [key, { select }] of Object.entries(selects)) {
    setOptions(select, [], query[key]);
    select.addEventListener('change', () => setQuery({ [key]: select.value }));
  }
  const clear = h('button', { type: 'reset', class: 'link-button' }, 'Clear filters');
  const form = h(
    'form',
    {
      class: 'filters',
      role: 'search',
      on: {
        // Enter searches at once rather than after the typing pause.
        submit: (event) => {
          event.preventDefault();
          clearTimeout(searchTimer);
          setQuery({ q: search.value.trim() });
        },
      },
    },
    h('div', { class: 'field field-grow' }, h('label', { for: 'task-search' }, 'Search tasks'), search),
    Object.values(selects).map((s) => s.field),
    h('div', { class: 'field field-end' }, clear),
  );
  form.addEventListener('reset', () => {
    // After the browser has reset the controls: then clear the query to match.
    setTimeout(() => setQuery({ q: '', state: '', store: '', handler: '', trigger: '' }));
  });

  // --- table ---------------------------------------------------------------------------------
  const sortHeaders = SORTABLE.map(([key, text]) =>
    h('th', { scope: 'col', dataset: { sort: key } }, h('button', { type: 'button', class: 'sort', on: { click: () => sortBy(key) } }, text, h('span', { class: 'sort-icon', 'aria-hidden': 'true' }))),
  );
  const columns = [...sortHeaders, 'Last run', canMutate ? 'Actions' : null].filter(Boolean);
  const { wrap, tbody } = scrollTable({ caption: 'Tasks', columns, className: 'tasks-table' });
  const summary = h('p', { class: 'summary', 'aria-live': 'polite' });
  const first = h('button', { type: 'button', on: { click: () => setQuery({ cursor: '' }, { keepCursor: true }) } }, 'First page');
  const next = h('button', { type: 'button' }, 'Next page');
  let nextCursor = null;
  next.addEventListener('click', () => setQuery({ cursor: nextCursor }, { keepCursor: true }));

  append(
    view,
    pageHeading('Tasks'),
    form,
    summary,
    canMutate ? null : h('p', { class: 'note-inline' }, 'Read-only: actions on tasks are not available.'),
    wrap,
    h('nav', { class: 'pager', 'aria-label': 'Pages of tasks' }, first, next),
  );

  function setQuery(changes, { keepCursor = false } = {}) {
    Object.assign(query, changes);
    // A new filter or sort starts again from the first page.
    if (!keepCursor) query.cursor = '';
    const shown = Object.fromEntries(Object.entries(query).filter(([key, value]) => value !== DEFAULTS[key]));
    lastListHash = href.tasks(shown);
    ctx.replaceHash(lastListHash);
    void load().catch(showError);
  }

  function sortBy(key) {
    const order = query.sort === key && query.order === 'asc' ? 'desc' : 'asc';
    setQuery({ sort: key, order });
  }

  function showSort() {
    for (const th of sortHeaders) {
      if (th.dataset.sort === query.sort) th.setAttribute('aria-sort', query.order === 'desc' ? 'descending' : 'ascending');
      else th.removeAttribute('aria-sort');
    }
  }

  // Filter options from the instances: the stores they open and the handlers they register.
  void api.instances(ctx.signal).then(({ instances }) => {
    const union = (field) => [...new Set(instances.flatMap((i) => i[field] ?? []))].sort();
    setOptions(selects.store.select, union('stores'), query.store);
    setOptions(selects.handler.select, union('handlers'), query.handler);
  }, () => {
    // Without instances the lists stay short; the table itself still reports real errors.
  });

  let requestCount = 0;
  let last = '';
  async function load() {
    const request = ++requestCount;
    showSort();
    const params = { ...query, limit: PAGE_SIZE };
    const data = await api.tasks(params, ctx.signal);
    // Typing fires several searches; only the latest one's answer may be shown.
    if (request !== requestCount) return;
    const json = JSON.stringify([params, data]);
    if (json === last) return;
    last = json;
    nextCursor = data.nextCursor;
    first.disabled = !query.cursor;
    next.disabled = !nextCursor;
    const filtered = ['q', 'state', 'store', 'handler', 'trigger'].some((key) => query[key]);
    const counts = STATES.map((state) => `${data.counts?.[state] ?? 0} ${state}`).join(' · ');
    summary.textContent = `${data.total} ${data.total === 1 ? 'task' : 'tasks'}${filtered ? ' match' : ''} — ${counts}`;
    clear.hidden = !filtered;
    setOptions(selects.trigger.select, data.tasks.map((t) => t.trigger), query.trigger);
    replaceKeepingFocus(
      tbody,
      data.tasks.length
        ? data.tasks.map((task, index) => taskRow(task, index, ctx))
        : emptyRow(columns.length, filtered ? 'No tasks match these filters.' : 'No tasks yet.'),
    );
  }

  return { refresh: load };
}

function taskRow(task, index, ctx) {
  const nameId = `task-row-${index}`;
  return h(
    'tr',
    { dataset: { taskId: task.id, store: task.store } },
    h(
      'th',
      { scope: 'row', id: nameId },
      h('a', { href: href.task(task.id, task.store), 'data-focus-key': `open:${task.store}:${task.id}` }, task.name || task.id),
      task.name && task.name !== task.id ? h('span', { class: 'sub mono' }, task.id) : null,
    ),
    h('td', { class: 'mono' }, task.handler),
    h('td', {}, task.triggerDescription || task.trigger),
    h('td', {}, task.store),
    h('td', {}, stateBadge(task.state)),
    h('td', {}, timeEl(task.nextRunTime)),
    h('td', {}, runSummary(task.lastRun)),
    ctx.session.canMutate ? h('td', { class: 'row-actions' }, taskActionButtons(task, ctx, { describedBy: nameId })) : null,
  );
}

function filterSelect(name, label, allLabel, options) {
  const id = `filter-${name}`;
  const select = h('select', { id, name, dataset: { all: allLabel, fixed: options.join('\n') } });
  return { select, field: h('div', { class: 'field' }, h('label', { for: id }, label), select) };
}

/** Refills a filter's options (its fixed ones, the ones given, the current value) keeping the choice. */
function setOptions(select, extra, value) {
  const fixed = select.dataset.fixed ? select.dataset.fixed.split('\n') : [];
  const values = [...new Set([...fixed, ...extra, value].filter(Boolean))];
  const current = [...select.options].map((o) => o.value).slice(1);
  if (current.length === values.length && current.every((v, i) => v === values[i])) return;
  select.replaceChildren(h('option', { value: '' }, select.dataset.all), ...values.map((v) => h('option', { value: v }, v)));
  select.value = value;
}
