// Live updates: the server's event stream says "something changed", and the current view
// refetches its data. Refreshes are batched, and held back while the user is in the middle of
// something (typing, a dialog, a click), so that nothing moves under their hands.

/** Scheduler events, plus `refresh` (a periodic tick for changes made by other replicas). */
const EVENT_TYPES = [
  'refresh',
  'task:added',
  'task:modified',
  'task:removed',
  'task:submitted',
  'task:executed',
  'task:error',
  'task:missed',
  'task:max-instances',
  'task:interrupted',
  'task:quarantined',
  'run:recorded',
  'tasks:removed-all',
  'scheduler:paused',
  'scheduler:resumed',
];
const BATCH_MS = 300;
const BUSY_RETRY_MS = 1_000;
/** Keystrokes this recent mean the user is typing. */
const TYPING_MS = 2_000;
/** While the stream is down, poll so the view does not silently go stale. */
const POLL_MS = 15_000;
const MAX_RETRY_MS = 30_000;

let lastInputAt = 0;
let pointerDownAt = 0;
/** A press this long is not a click any more (and its pointerup may have happened elsewhere). */
const PRESS_MS = 5_000;
addEventListener('input', () => (lastInputAt = Date.now()), true);
addEventListener('keydown', (event) => {
  if (event.target instanceof HTMLElement && event.target.matches('input, textarea, select')) lastInputAt = Date.now();
}, true);
addEventListener('pointerdown', () => (pointerDownAt = Date.now()), true);
addEventListener('pointerup', () => (pointerDownAt = 0), true);
addEventListener('pointercancel', () => (pointerDownAt = 0), true);

function userIsBusy() {
  if (document.querySelector('dialog[open]')) return true;
  // A row re-rendered between pointerdown and pointerup would swallow the click.
  if (Date.now() - pointerDownAt < PRESS_MS) return true;
  const active = document.activeElement;
  return Date.now() - lastInputAt < TYPING_MS && active instanceof HTMLElement && active.matches('input, textarea, select');
}

/**
 * Calls `refresh` at most once per batch window, never twice at a time, never while the user is
 * busy and never while the tab is hidden (it catches up when the tab shows again).
 * Returns `{ soon(), now() }`.
 */
export function createRefresher(refresh) {
  let timer;
  let running = false;
  let again = false;
  let staleWhileHidden = false;

  async function run() {
    timer = undefined;
    if (document.hidden) return void (staleWhileHidden = true);
    if (userIsBusy()) return void (timer = setTimeout(run, BUSY_RETRY_MS));
    if (running) return void (again = true);
    running = true;
    try {
      await refresh();
    } finally {
      running = false;
      if (again) {
        again = false;
        soon();
      }
    }
  }
  // Not a plain debounce: a steady stream of events must still refresh every BATCH_MS.
  function soon() {
    timer ??= setTimeout(run, BATCH_MS);
  }
  function now() {
    clearTimeout(timer);
    timer = undefined;
    void run();
  }
  document.addEventListener('visibilitychange', () => {
    if (!document.hidden && staleWhileHidden) {
      staleWhileHidden = false;
      soon();
    }
  });
  return { soon, now };
}

/**
 * Opens the event stream and keeps it open, showing its state in `indicator`.
 * `onChange` is called on every event, and after a reconnection (events may have been missed).
 */
export function connectLive(indicator, onChange) {
  let retryMs = 1_000;
  let pollTimer;
  let wasDown = false;

  function show(state, text) {
    indicator.textContent = text;
    indicator.dataset.state = state;
  }
  function down() {
    show('down', 'reconnecting…');
    wasDown = true;
    pollTimer ??= setInterval(onChange, POLL_MS);
  }

  function open() {
    const source = new EventSource(new URL('api/events', document.baseURI));
    source.addEventListener('open', () => {
      show('live', 'live');
      retryMs = 1_000;
      clearInterval(pollTimer);
      pollTimer = undefined;
      if (wasDown) onChange();
      wasDown = false;
    });
    source.addEventListener('error', () => {
      down();
      // EventSource retries by itself unless the server refused outright (HTTP error, wrong type).
      if (source.readyState === EventSource.CLOSED) {
        source.close();
        setTimeout(open, retryMs);
        retryMs = Math.min(retryMs * 2, MAX_RETRY_MS);
      }
    });
    for (const type of [...EVENT_TYPES, 'message']) source.addEventListener(type, () => onChange());
  }

  if (typeof EventSource === 'function') {
    show('connecting', 'connecting…');
    open();
  } else {
    down();
  }
}
