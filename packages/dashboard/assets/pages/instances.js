// Instances: the scheduler processes sharing the stores, when each was last heard of, and the
// runs each holds right now (a run held by a dead instance is ended as interrupted).
import { api } from '../api.js';
import { definitionList, emptyRow, h, pageHeading, replaceKeepingFocus, scrollTable, timeEl } from '../dom.js';
import { parseDate } from '../format.js';
import { href } from '../router.js';

export function mountInstances(view, _route, ctx) {
  ctx.setTitle('Instances');
  const list = h('div', { class: 'instances' });
  view.append(pageHeading('Instances'), list);

  let last = '';
  return {
    async refresh() {
      const { instances } = await api.instances(ctx.signal);
      const json = JSON.stringify(instances);
      if (json === last) return;
      last = json;
      replaceKeepingFocus(list, instances.length ? instances.map(instanceCard) : h('p', { class: 'muted' }, 'No instance has announced itself.'));
    },
  };
}

function instanceCard(instance, index) {
  const headingId = `instance-${index}`;
  const aliveUntil = parseDate(instance.aliveUntil);
  // Past its lease and not yet cleaned up: most likely dead.
  const overdue = aliveUntil !== null && aliveUntil.getTime() < Date.now();
  const runs = scrollTable({ caption: `Runs held by ${instance.instanceId}`, columns: ['Task', 'Store', 'Run', 'Scheduled', 'Lease expires'] });
  runs.tbody.append(
    ...(instance.runs.length
      ? instance.runs.map((run) =>
          h(
            'tr',
            { dataset: { runId: run.runId } },
            h('td', {}, h('a', { href: href.task(run.taskId, run.store), 'data-focus-key': `run:${run.runId}` }, run.taskId)),
            h('td', {}, run.store),
            h('td', { class: 'mono' }, run.runId),
            h('td', {}, timeEl(run.scheduledAt)),
            h('td', {}, timeEl(run.expiresAt)),
          ),
        )
      : [emptyRow(5, 'No runs in progress.')]),
  );
  const list = (items) => (items.length ? h('ul', { class: 'inline-list' }, items.map((i) => h('li', { class: 'mono' }, i))) : h('span', { class: 'muted' }, 'none'));
  return h(
    'section',
    { class: `panel instance${overdue ? ' instance-overdue' : ''}`, 'aria-labelledby': headingId, dataset: { instanceId: instance.instanceId } },
    h(
      'h2',
      { id: headingId },
      h('span', { class: 'mono' }, instance.instanceId),
      instance.self ? h('span', { class: 'tag' }, 'this process') : null,
      overdue ? h('span', { class: 'tag tag-bad' }, 'overdue') : null,
    ),
    definitionList([
      ['Host', instance.hostname ?? h('span', { class: 'muted' }, 'unknown')],
      ['PID', instance.pid ?? h('span', { class: 'muted' }, 'unknown')],
      ['Started', timeEl(instance.startedAt)],
      ['Alive until', timeEl(instance.aliveUntil)],
      ['Stores', list(instance.stores)],
      ['Handlers', list(instance.handlers)],
    ]),
    h('h3', {}, 'Runs held now'),
    runs.wrap,
  );
}
