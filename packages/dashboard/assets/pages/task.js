// One task: its fields, next fire times, actions, reschedule form and run history.
import { api } from '../api.js';
import { definitionList, h, pageHeading, replaceKeepingFocus, runSummary, stateBadge, timeEl } from '../dom.js';
import { announce, confirmAction, showError } from '../feedback.js';
import { formatDuration, formatJSON } from '../format.js';
import { rescheduleForm } from './reschedule.js';
import { runHistory } from './runs.js';
import { taskActionButtons } from './task-actions.js';
import { tasksListHash } from './tasks.js';

export function mountTask(view, route, ctx) {
  const { id } = route;
  ctx.setTitle(`${id} · Tasks`);
  /** The task as last loaded: its store, once known, is the one every action goes to. */
  let task = null;
  const target = () => ({ id, store: task?.store ?? route.params.get('store') ?? undefined });

  const heading = pageHeading(id);
  const subtitle = h('p', { class: 'subtitle' });
  const missing = h('div', { class: 'panel notice', hidden: true });
  const actions = h('div', { class: 'actions', role: 'group', 'aria-label': 'Task actions' });
  const details = h('div');
  const fires = h('div');
  const runs = runHistory(ctx);
  const reschedule = ctx.session.canMutate ? rescheduleForm({ target, onSaved: () => ctx.refresh() }) : null;
  const body = h(
    'div',
    {},
    ctx.session.canMutate ? actions : h('p', { class: 'note-inline' }, 'Read-only: this task cannot be changed from here.'),
    h(
      'div',
      { class: 'columns' },
      h('section', { class: 'panel', 'aria-labelledby': 'details-h' }, h('h2', { id: 'details-h' }, 'Details'), details),
      h('section', { class: 'panel', 'aria-labelledby': 'fires-h' }, h('h2', { id: 'fires-h' }, 'Next fire times'), fires),
    ),
    reschedule ? h('section', { class: 'panel', 'aria-labelledby': 'reschedule-h' }, h('h2', { id: 'reschedule-h' }, 'Reschedule'), reschedule.element) : null,
    h('section', { class: 'panel', 'aria-labelledby': 'runs-h' }, h('h2', { id: 'runs-h' }, 'Run history'), runs.element),
  );
  view.append(h('p', { class: 'breadcrumb' }, h('a', { href: tasksListHash() }, '← Tasks')), h('div', { class: 'page-head' }, heading, subtitle), missing, body);

  const deleteButton = h('button', { type: 'button', class: 'danger', 'data-focus-key': 'delete' }, 'Delete');
  deleteButton.addEventListener('click', () => void deleteTask());

  async function deleteTask() {
    const { store } = target();
    const confirmed = await confirmAction({
      title: 'Delete this task?',
      message: `“${task?.name || id}” will be removed from store “${store ?? 'default'}” with its schedule. This cannot be undone.`,
    });
    if (!confirmed) return;
    deleteButton.disabled = true;
    try {
      await api.deleteTask(id, store);
      announce(`Deleted “${task?.name || id}”.`);
      ctx.navigate(tasksListHash());
    } catch (error) {
      deleteButton.disabled = false;
      showError(error);
    }
  }

  let last = '';
  return {
    async refresh() {
      let data;
      try {
        data = await api.task(id, route.params.get('store') ?? undefined, ctx.signal);
      } catch (error) {
        if (error.status === 404) showMissing();
        throw error;
      }
      task = data.task;
      missing.hidden = true;
      body.hidden = false;
      const json = JSON.stringify(data);
      if (json !== last) {
        last = json;
        render(data);
        // The form starts from the task's trigger once; later refreshes must not undo edits.
        if (reschedule && !reschedule.filled) {
          reschedule.fill(task);
          reschedule.filled = true;
        }
      }
      await runs.refresh(task.id, task.store);
    },
  };

  function showMissing() {
    body.hidden = true;
    missing.hidden = false;
    missing.replaceChildren(h('p', {}, 'This task does not exist (any more). '), h('p', {}, h('a', { href: tasksListHash() }, 'Back to the tasks')));
  }

  function render({ nextFireTimes, args }) {
    ctx.setTitle(`${task.name || task.id} · Tasks`);
    heading.textContent = task.name || task.id;
    replaceKeepingFocus(subtitle, stateBadge(task.state), ' ', h('span', { class: 'mono' }, task.id), ` in store ${task.store}`);
    replaceKeepingFocus(actions, taskActionButtons(task, ctx), deleteButton);
    replaceKeepingFocus(details, taskFields(task, args));
    replaceKeepingFocus(
      fires,
      nextFireTimes.length
        ? h('ol', { class: 'fire-times' }, nextFireTimes.map((t) => h('li', {}, timeEl(t))))
        : h('p', { class: 'muted' }, task.state === 'paused' ? 'Paused: no fire times until resumed.' : 'No more fire times.'),
    );
  }
}

function taskFields(task, args) {
  const none = h('span', { class: 'muted' }, 'none');
  const pre = (value) => h('pre', { class: 'json' }, formatJSON(value));
  return definitionList([
    ['ID', h('span', { class: 'mono' }, task.id)],
    ['Name', task.name],
    ['Handler', h('span', { class: 'mono' }, task.handler)],
    ['Trigger', [task.triggerDescription || task.trigger, ' ', h('span', { class: 'muted' }, `(${task.trigger})`)]],
    ['Trigger options', pre(task.triggerOptions ?? {})],
    ['Executor', task.executor],
    ['Store', task.store],
    ['State', stateBadge(task.state)],
    ['Next run', timeEl(task.nextRunTime)],
    ['Last run', runSummary(task.lastRun)],
    ['Running instances', `${task.runningInstances} of at most ${task.maxInstances}`],
    ['Coalesce', task.coalesce ? 'yes' : 'no'],
    ['Misfire grace time', task.misfireGraceTime == null ? none : formatDuration(task.misfireGraceTime)],
    ['Jitter', task.jitter ? formatDuration(task.jitter) : none],
    ['Arguments', args === undefined ? none : pre(args)],
  ]);
}
