// Overview: how many tasks are in each state, what fires next, what failed lately.
import { api } from '../api.js';
import { emptyRow, h, outcomeBadge, pageHeading, replaceKeepingFocus, scrollTable, stateBadge, timeEl } from '../dom.js';
import { href } from '../router.js';

export function mountOverview(view, _route, ctx) {
  ctx.setTitle('Overview');
  const cards = h('ul', { class: 'cards', 'aria-label': 'Summary' });
  const next = scrollTable({ caption: 'Next fires', columns: ['Task', 'Trigger', 'Next run', 'State'] });
  const failures = scrollTable({ caption: 'Recent failures', columns: ['Task', 'Ended', 'Outcome', 'Error'] });
  view.append(
    pageHeading('Overview'),
    cards,
    h('section', { class: 'panel', 'aria-labelledby': 'next-fires' }, h('h2', { id: 'next-fires' }, 'Next fires'), next.wrap),
    h('section', { class: 'panel', 'aria-labelledby': 'recent-failures' }, h('h2', { id: 'recent-failures' }, 'Recent failures'), failures.wrap),
  );

  let last = '';
  return {
    async refresh() {
      const data = await api.overview(ctx.signal);
      // Identical data (the periodic tick, mostly) leaves the DOM alone.
      const json = JSON.stringify(data);
      if (json === last) return;
      last = json;
      replaceKeepingFocus(cards, summaryCards(data));
      replaceKeepingFocus(next.tbody, data.nextFires.length ? data.nextFires.map(nextFireRow) : emptyRow(4, 'Nothing is scheduled.'));
      replaceKeepingFocus(failures.tbody, data.recentFailures.length ? data.recentFailures.map(failureRow) : emptyRow(4, 'No recent failures.'));
    },
  };
}

function summaryCards({ counts, failures24h, quarantined, instances }) {
  // A card links to the list behind its number, where there is one.
  const card = (label, value, link, tone) =>
    h(
      'li',
      {},
      h(
        link ? 'a' : 'div',
        { class: `card${tone && value > 0 ? ` card-${tone}` : ''}`, href: link, 'data-focus-key': `card:${label}` },
        h('span', { class: 'card-value' }, value),
        h('span', { class: 'card-label' }, label),
      ),
    );
  return [
    card('Tasks', counts.total, href.tasks()),
    card('Pending', counts.pending, href.tasks({ state: 'pending' })),
    card('Scheduled', counts.scheduled, href.tasks({ state: 'scheduled' })),
    card('Paused', counts.paused, href.tasks({ state: 'paused' }), 'warn'),
    card('Running', counts.running, href.tasks({ state: 'running' })),
    card('Failures (24 h)', failures24h, null, 'bad'),
    card('Quarantined', quarantined, href.quarantine(), 'bad'),
    card('Instances alive', instances, href.instances()),
  ];
}

function nextFireRow(task) {
  return h(
    'tr',
    { dataset: { taskId: task.id } },
    h('td', {}, h('a', { href: href.task(task.id, task.store), 'data-focus-key': `task:${task.store}:${task.id}` }, task.name || task.id)),
    h('td', {}, task.triggerDescription || task.trigger),
    h('td', {}, timeEl(task.nextRunTime)),
    h('td', {}, stateBadge(task.state)),
  );
}

function failureRow(run) {
  return h(
    'tr',
    { dataset: { runId: run.runId } },
    // Runs carry no store: the task page then asks the server for the task in its default store.
    h('td', {}, h('a', { href: href.task(run.taskId), 'data-focus-key': `run:${run.runId}` }, run.taskId)),
    h('td', {}, timeEl(run.endedAt)),
    h('td', {}, outcomeBadge(run.outcome)),
    h('td', { class: 'error-text' }, run.error?.message ?? ''),
  );
}
