// Quarantine: stored records that could not be read, held aside until someone restores them
// (after fixing the cause) or discards them.
import { api } from '../api.js';
import { append, emptyRow, h, pageHeading, replaceKeepingFocus, scrollTable, timeEl } from '../dom.js';
import { confirmAction, runAction } from '../feedback.js';

export function mountQuarantine(view, _route, ctx) {
  ctx.setTitle('Quarantine');
  const canMutate = ctx.session.canMutate;
  const columns = ['Task', 'Store', 'Reason', 'Quarantined', 'Next run', 'Revision', canMutate ? 'Actions' : null].filter(Boolean);
  const { wrap, tbody } = scrollTable({ caption: 'Quarantined tasks', columns, className: 'quarantine-table' });
  append(
    view,
    pageHeading('Quarantine'),
    h('p', { class: 'intro' }, 'Stored task records that could not be read, set aside with the reason instead of being run or lost. Restore one once its cause is fixed (it is read again), or discard it for good.'),
    canMutate ? null : h('p', { class: 'note-inline' }, 'Read-only: quarantined tasks cannot be restored or discarded from here.'),
    wrap,
  );

  function row(entry, index) {
    const nameId = `quarantined-${index}`;
    const key = `${entry.store}:${entry.id}`;
    const restore = h('button', { type: 'button', 'aria-describedby': nameId, 'data-focus-key': `restore:${key}` }, 'Restore');
    restore.addEventListener('click', () =>
      void runAction(restore, () => api.restore(entry.id, entry.store), { success: `Restored “${entry.id}”.`, refresh: ctx.refresh }),
    );
    const discard = h('button', { type: 'button', class: 'danger', 'aria-describedby': nameId, 'data-focus-key': `discard:${key}` }, 'Discard');
    discard.addEventListener('click', async () => {
      const confirmed = await confirmAction({
        title: 'Discard this task?',
        message: `“${entry.id}” will be deleted from store “${entry.store}” for good. This cannot be undone.`,
      });
      if (confirmed) await runAction(discard, () => api.discard(entry.id, entry.store), { success: `Discarded “${entry.id}”.`, refresh: ctx.refresh });
    });
    return h(
      'tr',
      { dataset: { taskId: entry.id, store: entry.store } },
      h('th', { scope: 'row', id: nameId, class: 'mono' }, entry.id),
      h('td', {}, entry.store),
      h('td', { class: 'error-text' }, entry.reason),
      h('td', {}, timeEl(entry.quarantinedAt)),
      h('td', {}, timeEl(entry.nextRunTime)),
      h('td', { class: 'num' }, entry.revision ?? '—'),
      canMutate ? h('td', { class: 'row-actions' }, restore, discard) : null,
    );
  }

  let last = '';
  return {
    async refresh() {
      const { tasks } = await api.quarantine(ctx.signal);
      const json = JSON.stringify(tasks);
      if (json === last) return;
      last = json;
      replaceKeepingFocus(tbody, tasks.length ? tasks.map(row) : emptyRow(columns.length, 'Nothing is in quarantine.'));
    },
  };
}
