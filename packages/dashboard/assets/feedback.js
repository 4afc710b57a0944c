// Telling the user what happened: errors in dismissable alerts, successes in a polite status
// line, and a <dialog> to confirm destructive actions.
import { h } from './dom.js';

const MAX_ALERTS = 3;

/** Shows an error in the alert region; the same message already on screen is not repeated. */
export function showError(error) {
  if (error?.name === 'AbortError') return;
  const region = document.getElementById('alerts');
  const message = error?.message || String(error);
  // The live refresh may fail the same way every few seconds: one alert is enough.
  for (const existing of region.children) if (existing.dataset.message === message) return;
  const item = h(
    'div',
    { class: 'alert', role: 'alert', dataset: { message } },
    h('p', {}, error?.code && !/^NETWORK|^HTTP_/.test(error.code) ? h('span', { class: 'alert-code' }, error.code) : null, message),
    h('button', { type: 'button', class: 'alert-dismiss', on: { click: () => item.remove() } }, 'Dismiss'),
  );
  region.append(item);
  while (region.children.length > MAX_ALERTS) region.firstElementChild.remove();
}

let statusTimer;

/** A short success message, read out politely and cleared after a while. */
export function announce(message) {
  const status = document.getElementById('status');
  // The region stays in the page (empty and invisible in between): a live region that appears
  // together with its text is not reliably read out.
  status.textContent = message;
  clearTimeout(statusTimer);
  statusTimer = setTimeout(() => (status.textContent = ''), 5_000);
}

/**
 * Asks before a destructive action. Resolves true when confirmed. The confirming button says
 * "Confirm" (not "Delete") so that it never shares a name with the button that opened it.
 */
export function confirmAction({ title, message }) {
  return new Promise((resolve) => {
    const titleId = `confirm-title-${Date.now()}`;
    const cancel = h('button', { type: 'submit', value: 'cancel', autofocus: true }, 'Cancel');
    const dialog = h(
      'dialog',
      { class: 'confirm', 'aria-labelledby': titleId },
      h(
        'form',
        { method: 'dialog' },
        h('h2', { id: titleId }, title),
        h('p', {}, message),
        h('div', { class: 'actions' }, cancel, h('button', { type: 'submit', value: 'confirm', class: 'danger' }, 'Confirm')),
      ),
    );
    dialog.addEventListener('close', () => {
      dialog.remove();
      resolve(dialog.returnValue === 'confirm');
    });
    document.body.append(dialog);
    dialog.showModal();
    // The safe choice has focus: pressing Enter by reflex must not destroy anything.
    cancel.focus();
  });
}

/**
 * Runs a mutation from a button: disables it meanwhile, announces success, shows failure, and
 * asks the page to refresh either way (the action may have half-happened). Resolves whether it
 * succeeded.
 */
export async function runAction(button, action, { success, refresh }) {
  button.disabled = true;
  try {
    await action();
    if (success) announce(success);
    return true;
  } catch (error) {
    showError(error);
    return false;
  } finally {
    button.disabled = false;
    refresh?.();
  }
}
