// The buttons that act on one task, shared by the tasks table and the task page.
import { api } from '../api.js';
import { h } from '../dom.js';
import { runAction } from '../feedback.js';

const label = (task) => `“${task.name || task.id}”`;

/**
 * "Run now" and "Pause" or "Resume" for a task. `describedBy` names the element that says which
 * task they act on, so that a screen reader reads "Run now, nightly-report" in a table of many.
 */
export function taskActionButtons(task, ctx, { describedBy } = {}) {
  const key = `${task.store}:${task.id}`;
  const button = (text, action, success) => {
    const el = h('button', { type: 'button', 'aria-describedby': describedBy, 'data-focus-key': `${text}:${key}` }, text);
    el.addEventListener('click', () => void runAction(el, () => action(task.id, task.store), { success, refresh: ctx.refresh }));
    return el;
  };
  return [
    button('Run now', api.runNow, `Run of ${label(task)} submitted.`),
    task.state === 'paused'
      ? button('Resume', api.resume, `Resumed ${label(task)}.`)
      : button('Pause', api.pause, `Paused ${label(task)}.`),
  ];
}
