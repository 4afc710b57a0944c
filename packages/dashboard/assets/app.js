// The shell: loads the session, mounts the page the hash names, keeps it live, and marks the
// current section in the header. Each page module owns its own view (see pages/).
import { api } from './api.js';
import { h, pageHeading, tickRelativeTimes } from './dom.js';
import { showError } from './feedback.js';
import { connectLive, createRefresher } from './live.js';
import { href, parseRoute } from './router.js';
import { mountInstances } from './pages/instances.js';
import { mountOverview } from './pages/overview.js';
import { mountQuarantine } from './pages/quarantine.js';
import { mountTask } from './pages/task.js';
import { mountTasks } from './pages/tasks.js';

const PAGES = {
  overview: mountOverview,
  tasks: mountTasks,
  task: mountTask,
  quarantine: mountQuarantine,
  instances: mountInstances,
  'not-found': mountNotFound,
};
/** The header link each route belongs to: a task's page is part of Tasks. */
const SECTIONS = { overview: 'overview', tasks: 'tasks', task: 'tasks', quarantine: 'quarantine', instances: 'instances' };
const TICK_MS = 15_000;

const main = document.getElementById('main');
/** Until the session says otherwise, nothing may be changed. */
let session = { readOnly: true, canMutate: false, identity: null };
/** The mounted page: its controller (`{ refresh() }`) and the signal that retires it. */
let current;

const refresher = createRefresher(() => refreshCurrent());

async function refreshCurrent() {
  const page = current;
  if (!page) return;
  try {
    await page.controller.refresh();
  } catch (error) {
    // A page left while its data was loading has nothing left to show an error on.
    if (!page.abort.signal.aborted) showError(error);
  }
}

function setTitle(title) {
  document.title = title ? `${title} · Horae` : 'Horae';
}

function mount(route, { focus }) {
  current?.abort.abort();
  const abort = new AbortController();
  const view = h('div', { class: 'view' });
  main.replaceChildren(view);
  document.getElementById('alerts').replaceChildren();
  const ctx = {
    session,
    signal: abort.signal,
    setTitle,
    refresh: refresher.now,
    navigate: (hash) => void (location.hash = hash),
    // Filters and paging live in the hash (shareable, survive a reload) but are not history steps.
    replaceHash: (hash) => history.replaceState(history.state, '', hash),
  };
  current = { controller: PAGES[route.name](view, route, ctx), abort };
  for (const link of document.querySelectorAll('[data-section]')) {
    if (link.dataset.section === SECTIONS[route.name]) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  void refreshCurrent();
  // After in-app navigation, move focus to the new page's heading so screen readers announce it.
  if (focus) view.querySelector('h1')?.focus();
}

function mountNotFound(view, _route, ctx) {
  ctx.setTitle('Not found');
  view.append(pageHeading('Page not found'), h('p', {}, 'There is nothing at this address. ', h('a', { href: href.overview() }, 'Go to the overview'), '.'));
  return { refresh: async () => {} };
}

function showSession() {
  const note = document.getElementById('session-note');
  note.hidden = session.canMutate;
  note.textContent = session.readOnly ? 'read-only' : 'mutations are not authorized';
  const identity = document.getElementById('identity');
  identity.hidden = !session.identity;
  identity.textContent = session.identity ?? '';
}

async function loadSession() {
  try {
    session = { ...session, ...(await api.session()) };
  } catch (error) {
    showError(error);
  }
  showSession();
}

// The skip link's own "#main" would be read as a route; move focus to the content instead.
document.querySelector('.skip-link').addEventListener('click', (event) => {
  event.preventDefault();
  main.focus();
});

await loadSession();
addEventListener('hashchange', () => mount(parseRoute(location.hash), { focus: true }));
mount(parseRoute(location.hash), { focus: false });
connectLive(document.querySelector('[data-testid="live"]'), refresher.soon);
setInterval(tickRelativeTimes, TICK_MS);
