/**
 * The app shell: reads the runtime config, keeps the /stats snapshot fresh (poll or long poll), shows the live /
 * stale marker, and routes `#/<page>/<params>` to the page modules. Pages render into <main>; leaving a page
 * destroys it (its own pollers stop).
 *
 * Data model: the route is `location.hash` = "#/" | "#/start" | "#/miner[/ADDRESS]" | "#/blocks" | "#/payments" |
 * "#/admin" | "#/faq". window.pool is the hook object custom.js uses.
 */
import './style.css';
import { ApiClient } from './api.js';
import { loadConfig } from './config.js';
import { h } from './dom.js';
import { formatAgo, formatDateTime } from './format.js';
import { Connection, Poller } from './live.js';
import { parseStats, type PoolStats } from './model.js';
import type { Page, PageContext, PageDef } from './page.js';
import { adminPage } from './pages/admin.js';
import { blocksPage } from './pages/blocks.js';
import { faqPage } from './pages/faq.js';
import { homePage } from './pages/home.js';
import { minerPage } from './pages/miner.js';
import { paymentsPage } from './pages/payments.js';
import { startPage } from './pages/start.js';
import { Store } from './store.js';
import { themeToggle } from './theme.js';

const PAGES: PageDef[] = [homePage, startPage, minerPage, blocksPage, paymentsPage, adminPage, faqPage];

const config = loadConfig();
const api = new ApiClient(config.api);
const connection = new Connection();
const stats = new Store<PoolStats>();

// ---- hooks for custom.js --------------------------------------------------------------------------------------
type HookEvent = 'stats' | 'route';
const hooks: Record<HookEvent, Array<(v: unknown) => void>> = { stats: [], route: [] };
function emit(ev: HookEvent, v: unknown): void {
  for (const fn of hooks[ev]) {
    try {
      fn(v);
    } catch (e) {
      console.error('custom.js hook failed', e);
    }
  }
}
(window as unknown as { pool: unknown }).pool = Object.freeze({
  config,
  on(ev: HookEvent, fn: (v: unknown) => void): void {
    if (ev in hooks) hooks[ev].push(fn);
    if (ev === 'stats' && stats.value) fn(stats.value);
  },
});

// ---- live /stats ----------------------------------------------------------------------------------------------
/** A long poll the server answered faster than this was not held (e.g. the API under Lambda): wait before the next. */
const MIN_LONG_POLL_HOLD_MS = 2_000;
let lastFetchWasLong = false;
const statsPoller = new Poller<PoolStats>({
  connection,
  fetch: async (signal) => {
    // the first fetch (and the first after an error) is a plain /stats so the page fills at once
    lastFetchWasLong = config.liveMode === 'longpoll' && stats.value !== null && connection.current.ok;
    return parseStats(
      lastFetchWasLong
        ? await api.get('/live_stats', {}, { signal, timeoutMs: 120_000 })
        : await api.get('/stats', {}, { signal }),
    );
  },
  onData: (s) => {
    stats.set(s);
    emit('stats', s);
  },
  intervalMs: () => config.refreshSeconds * 1000,
  rearmAtOnce: (held) => config.liveMode === 'longpoll' && (!lastFetchWasLong || held >= MIN_LONG_POLL_HOLD_MS),
});

// ---- shell ----------------------------------------------------------------------------------------------------
const main = document.getElementById('main') as HTMLElement;
const navList = document.getElementById('nav-list') as HTMLElement;
const nav = document.getElementById('nav') as HTMLElement;
const navToggle = document.getElementById('nav-toggle') as HTMLButtonElement;
const live = document.getElementById('live') as HTMLElement;
const staleBanner = document.getElementById('stale') as HTMLElement;
const footerUpdated = document.getElementById('footer-updated') as HTMLElement;
const footerVersion = document.getElementById('footer-version') as HTMLElement;

(document.getElementById('pool-name') as HTMLElement).textContent = config.poolName;
(document.getElementById('header-tools') as HTMLElement).append(themeToggle());

const navLinks = new Map<string, HTMLAnchorElement>();
for (const p of PAGES) {
  if (p.nav === null) continue;
  const a = h('a', { href: `#/${p.name}` }, p.nav);
  navLinks.set(p.name, a);
  navList.append(h('li', null, a));
}
navToggle.addEventListener('click', () => {
  const open = navToggle.getAttribute('aria-expanded') !== 'true';
  navToggle.setAttribute('aria-expanded', String(open));
  nav.classList.toggle('open', open);
});

// The banner is built once; only its detail text changes, and that part is not a live region (role="alert" on the
// banner announces it when it appears, not every second of the countdown).
const staleTitle = h('strong');
const staleDetail = h('span', { 'aria-live': 'off' });
staleBanner.replaceChildren(
  staleTitle,
  staleDetail,
  h('button', { type: 'button', class: 'link-button', onclick: () => connection.retryNow() }, 'Retry now'),
);

function setText(el: HTMLElement, text: string): void {
  if (el.textContent !== text) el.textContent = text;
}

function renderLive(): void {
  const c = connection.current;
  const now = Date.now();
  if (c.ok) {
    live.className = 'live ok';
    setText(live, stats.at ? 'Live' : 'Connecting…');
    live.title = stats.at ? `Updated ${formatAgo(stats.at, now)}` : '';
    staleBanner.hidden = true;
    staleBanner.removeAttribute('data-stale');
    document.documentElement.removeAttribute('data-stale');
  } else {
    live.className = 'live stale';
    setText(live, 'Stale');
    live.title = c.error;
    const retry = c.retryAt > now ? ` Retrying in ${Math.ceil((c.retryAt - now) / 1000)} s.` : ' Retrying…';
    const age = stats.at ? ` Last update: ${formatAgo(stats.at, now)}.` : ' No data could be loaded yet.';
    setText(
      staleTitle,
      c.answered ? `Stale: the pool API reports a problem (${c.error}).` : 'Stale: the pool API is unreachable.',
    );
    setText(staleDetail, `${age}${retry} `);
    staleBanner.hidden = false;
    staleBanner.setAttribute('data-stale', 'true');
    document.documentElement.setAttribute('data-stale', 'true');
  }
  setText(
    footerUpdated,
    stats.at ? `Stats updated ${formatAgo(stats.at, now)} (${formatDateTime(stats.at)}).` : 'No data yet.',
  );
}
connection.subscribe(renderLive);
stats.subscribe((s) => {
  footerVersion.textContent = s.config.version ? ` Pool software ${s.config.version}.` : '';
  renderLive();
});
setInterval(() => {
  renderLive();
  // Refresh relative times ("12 s ago") everywhere without re-rendering pages.
  for (const t of document.querySelectorAll<HTMLTimeElement>('time[data-ms][data-rel]')) {
    setText(t, formatAgo(Number(t.dataset['ms'])));
  }
}, 1000);

// ---- router ---------------------------------------------------------------------------------------------------
let current: Page | null = null;

function parseHash(): { name: string; params: string[] } {
  const path = decodeURIComponent(location.hash.replace(/^#\/?/, ''));
  const [name = '', ...params] = path.split('/').filter((s, i) => i === 0 || s !== '');
  return { name, params };
}

function navigate(path: string, replaceHistory = false): void {
  const target = `#/${path.replace(/^\/+/, '')}`;
  if (replaceHistory) {
    history.replaceState(null, '', target);
    route(false);
  } else {
    location.hash = target;
  }
}

function route(focus = true): void {
  const { name, params } = parseHash();
  const def = PAGES.find((p) => p.name === name) ?? notFound(name);
  current?.destroy?.();
  const ctx: PageContext = { config, api, connection, stats, params, navigate };
  current = def.render(ctx);
  main.replaceChildren(current.el);
  document.title = `${def.title} · ${config.poolName}`;
  for (const [n, a] of navLinks) {
    if (n === def.name) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  nav.classList.remove('open');
  navToggle.setAttribute('aria-expanded', 'false');
  if (focus) {
    const heading = main.querySelector('h1');
    (heading ?? main).setAttribute('tabindex', '-1');
    (heading ?? main).focus({ preventScroll: false });
  }
  emit('route', def.name);
}

function notFound(name: string): PageDef {
  return {
    name,
    title: 'Not found',
    nav: null,
    render: () => ({
      el: h(
        'section',
        { class: 'page' },
        h('h1', null, 'Page not found'),
        h('p', null, 'There is no page called "', name, '". ', h('a', { href: '#/' }, 'Go to the pool overview'), '.'),
      ),
    }),
  };
}

window.addEventListener('hashchange', () => route());
route(false);
statsPoller.start();
document.addEventListener('visibilitychange', () => {
  if (document.visibilityState === 'visible') statsPoller.now();
});
