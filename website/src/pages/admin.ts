/**
 * Admin: sign in with the API's admin token (kept in sessionStorage for this tab only, sent as
 * `Authorization: Bearer <token>`), then /admin_stats (owed, paid, revenue, orphan rate...), /admin_monitoring
 * (function heartbeats, payment fail-stop, daemon and wallet) and /admin_users, refreshed while the page is open.
 *
 * Data model: sessionStorage "pool.adminToken".
 */
import { ApiError } from '../api.js';
import { h, replace } from '../dom.js';
import { formatCompact, formatHashrate, formatInt, formatPercent, shortId } from '../format.js';
import { Poller } from '../live.js';
import {
  big,
  num,
  obj,
  parseAdminStats,
  parseAdminUsers,
  text,
  type AdminStats,
  type AdminUser,
  type Json,
} from '../model.js';
import type { PageContext, PageDef } from '../page.js';
import { ago, coins, errorBox, notice, section, table, tiles, type Column } from '../ui.js';

const KEY = 'pool.adminToken';

function savedToken(): string {
  try {
    return sessionStorage.getItem(KEY) ?? '';
  } catch {
    return '';
  }
}

function saveToken(t: string | null): void {
  try {
    if (t === null) sessionStorage.removeItem(KEY);
    else sessionStorage.setItem(KEY, t);
  } catch {
    /* storage blocked: signed in for this page view only */
  }
}

interface AdminData {
  stats: AdminStats;
  users: AdminUser[] | null;
  monitoring: Json | null;
}

export const adminPage: PageDef = {
  name: 'admin',
  title: 'Admin',
  nav: 'Admin',
  render(ctx: PageContext) {
    const root = h('div', { class: 'page page-admin' }, h('h1', null, 'Pool admin'));
    let stop: (() => void) | null = null;

    const showSignIn = (message = ''): void => {
      stop?.();
      stop = null;
      const input = h('input', {
        id: 'admin-token',
        name: 'token',
        type: 'password',
        autocomplete: 'current-password',
        required: true,
        'aria-describedby': 'admin-msg',
      });
      const msg = h('p', { id: 'admin-msg', class: 'field-error', 'aria-live': 'polite' }, message);
      const button = h('button', { type: 'submit', class: 'button' }, 'Sign in');
      const form = h(
        'form',
        { class: 'admin-signin', id: 'admin-signin', novalidate: true },
        h('label', { for: 'admin-token' }, 'Admin token'),
        h('div', { class: 'input-row' }, input, button),
        h('p', { class: 'help' }, "The token is the API's admin password. It stays in this browser tab only."),
        msg,
      );
      form.addEventListener('submit', (ev) => {
        ev.preventDefault();
        const token = input.value.trim();
        if (token === '') {
          msg.textContent = 'Enter the admin token.';
          input.focus();
          return;
        }
        button.disabled = true;
        msg.textContent = 'Checking…';
        ctx.api
          .get('/admin_stats', {}, { token })
          .then(() => {
            saveToken(token);
            showDashboard(token);
          })
          .catch((e: unknown) => {
            button.disabled = false;
            msg.textContent = signInError(e);
            input.focus();
          });
      });
      replace(root, h('h1', { tabindex: -1 }, 'Pool admin'), section('Sign in', 'admin-signin', form));
    };

    const showDashboard = (token: string): void => {
      const figures = tiles('Finances and blocks', [
        ['admin-owed', 'Owed to miners'],
        ['admin-paid', 'Paid to miners'],
        ['admin-revenue', 'Revenue (rewards of unlocked blocks)'],
        ['admin-orphan-rate', 'Orphan rate'],
        ['admin-blocks', 'Blocks unlocked'],
        ['admin-luck', 'Average effort'],
        ['admin-workers', 'Miners (all time)'],
        ['admin-shares', 'Total shares'],
      ]);
      const monitoringBox = h('div', { id: 'admin-monitoring' }, notice('Loading…'));
      const usersBox = h('div', { id: 'admin-users' }, notice('Loading…'));
      const errorBoxEl = h('div', { 'aria-live': 'polite' });
      const signOut = h('button', { type: 'button', class: 'button secondary', id: 'admin-signout' }, 'Sign out');
      signOut.addEventListener('click', () => {
        saveToken(null);
        showSignIn('Signed out.');
      });
      replace(
        root,
        h('div', { class: 'title-row' }, h('h1', { tabindex: -1 }, 'Pool admin'), signOut),
        errorBoxEl,
        section('Overview', 'admin-overview', figures.el),
        section('Monitoring', 'admin-monitoring', monitoringBox),
        section('Miners', 'admin-users', usersBox),
      );

      const poller = new Poller<AdminData>({
        connection: ctx.connection,
        fetch: async (signal) => {
          const [stats, users, monitoring] = await Promise.all([
            ctx.api.get('/admin_stats', {}, { signal, token }),
            ctx.api.get('/admin_users', {}, { signal, token }).catch(optional),
            ctx.api.get('/admin_monitoring', {}, { signal, token }).catch(optional),
          ]);
          return {
            stats: parseAdminStats(stats),
            users: users === null ? null : parseAdminUsers(users),
            monitoring: monitoring === null ? null : obj(monitoring),
          };
        },
        onData: (d) => {
          replace(errorBoxEl);
          renderStats(ctx, figures, d.stats);
          replace(
            monitoringBox,
            d.monitoring === null ? notice('Monitoring is not available.') : monitoringView(d.monitoring),
          );
          replace(usersBox, d.users === null ? notice('The miner list is not available.') : usersTable(ctx, d.users));
        },
        onError: (e) => {
          if (e instanceof ApiError && e.kind === 'http' && (e.status === 401 || e.status === 403)) {
            saveToken(null);
            showSignIn('The token was not accepted any more; sign in again.');
            return;
          }
          replace(errorBoxEl, errorBox(`Could not load admin data: ${e instanceof Error ? e.message : String(e)}`));
        },
        intervalMs: () => ctx.config.refreshSeconds * 1000,
      });
      stop?.();
      poller.start();
      stop = () => poller.stop();
      root.querySelector('h1')?.focus();
    };

    const token = savedToken();
    if (token !== '') showDashboard(token);
    else showSignIn();
    return { el: root, destroy: () => stop?.() };
  },
};

/** An optional admin route the API may not have: 404 -> null; anything else fails the refresh. */
function optional(e: unknown): null {
  if (e instanceof ApiError && e.kind === 'http' && e.status === 404) return null;
  throw e;
}

function signInError(e: unknown): string {
  if (e instanceof ApiError && e.kind === 'http') {
    if (e.status === 401 || e.status === 403) return 'Wrong token.';
    if (e.status === 429) return 'Too many failed attempts; wait a few minutes and try again.';
    return `The API refused: ${e.message}`;
  }
  return e instanceof Error ? e.message : String(e);
}

function renderStats(ctx: PageContext, t: ReturnType<typeof tiles>, s: AdminStats): void {
  const c = ctx.config;
  const inFlight = s.extra['totalPending'];
  t.set(
    'admin-owed',
    coins(c, s.totalOwed),
    s.totalOwed.toString(),
    inFlight !== undefined && big(inFlight) > 0n
      ? h('span', null, 'of which ', coins(c, big(inFlight)), ' being sent')
      : null,
  );
  t.set('admin-paid', coins(c, s.totalPaid), s.totalPaid.toString());
  t.set('admin-revenue', coins(c, s.totalRevenue), s.totalRevenue.toString());
  const matured = s.blocksUnlocked + s.blocksOrphaned;
  const orphanRate = matured > 0 ? s.blocksOrphaned / matured : null;
  t.set(
    'admin-orphan-rate',
    orphanRate === null ? '—' : formatPercent(orphanRate, 1),
    orphanRate === null ? '' : String(orphanRate),
    `${formatInt(s.blocksOrphaned)} of ${formatInt(matured)} matured blocks`,
  );
  t.set('admin-blocks', formatInt(s.blocksUnlocked), String(s.blocksUnlocked));
  const luck = s.totalDiff > 0n ? Number(s.totalShares) / Number(s.totalDiff) : null;
  t.set(
    'admin-luck',
    luck === null ? '—' : formatPercent(luck, 0),
    luck === null ? '' : String(luck),
    'round shares / network difficulty',
  );
  t.set('admin-workers', formatInt(s.totalWorkers), String(s.totalWorkers));
  const compact = formatCompact(s.totalShares);
  const exact = formatInt(s.totalShares);
  t.set('admin-shares', compact, s.totalShares.toString(), compact === exact ? null : exact);
}

/**
 * /admin_monitoring: heartbeats of the back-office functions ({fn: {at (unix ms), ageSeconds}}), the daemon probe
 * (monitoring.daemon {lastCheck (unix s), lastStatus, lastResponse}), the payments fail-stop and open batches.
 * Anything else in the body is listed as key/value so nothing the API adds is hidden.
 */
function monitoringView(m: Json): HTMLElement {
  const heartbeats = Object.entries(obj(m['heartbeats'])).map(([name, v]) => ({ name, at: num(obj(v)['at']) }));
  const daemon = obj(obj(m['monitoring'])['daemon']);
  const failStop = m['failStop'];
  const open = Array.isArray(m['openBatches']) ? (m['openBatches'] as unknown[]) : [];
  const known = new Set(['heartbeats', 'monitoring', 'failStop', 'openBatches', 'logs']);
  const rest = Object.entries(m).filter(([k]) => !known.has(k));

  const daemonStatus = text(daemon['lastStatus']);
  let daemonDetail = text(daemon['lastResponse']);
  try {
    const r = obj(JSON.parse(daemonDetail));
    if (r['height'] !== undefined) {
      daemonDetail = `height ${formatInt(num(r['height']))}${r['synchronized'] === false ? ', not synchronized' : ', synchronized'}`;
    }
  } catch {
    /* not JSON: shown as is */
  }
  const fs = failStop === null || failStop === undefined ? null : obj(failStop);
  return h(
    'div',
    { class: 'monitoring' },
    h(
      'dl',
      { class: 'kv', 'data-table': 'monitoring' },
      h(
        'div',
        { class: 'kv-row', 'data-key': 'daemon' },
        h('dt', null, 'Daemon'),
        h(
          'dd',
          null,
          h('span', { class: daemonStatus === 'ok' ? 'good' : 'bad' }, daemonStatus || 'unknown'),
          daemonDetail ? ` · ${daemonDetail}` : '',
        ),
      ),
      h(
        'div',
        { class: 'kv-row', 'data-key': 'failStop' },
        h('dt', null, 'Payments'),
        h(
          'dd',
          null,
          fs === null
            ? h('span', { class: 'good' }, 'running')
            : h(
                'span',
                { class: 'bad' },
                `STOPPED: ${text(fs['reason'], 'fail-stop set')}${fs['batchId'] !== undefined ? ` (batch ${text(fs['batchId'])})` : ''}. Resolve with npx pool payments status.`,
              ),
        ),
      ),
      h(
        'div',
        { class: 'kv-row', 'data-key': 'openBatches' },
        h('dt', null, 'Open payment batches'),
        h('dd', null, open.length === 0 ? 'none' : open.map((b) => text(obj(b)['id'])).join(', ')),
      ),
      rest.map(([k, v]) =>
        h(
          'div',
          { class: 'kv-row', 'data-key': k },
          h('dt', null, k),
          h('dd', null, typeof v === 'object' ? JSON.stringify(v) : String(v)),
        ),
      ),
    ),
    table<{ name: string; at: number }>(
      'Back-office heartbeats (last successful run)',
      [
        { label: 'Function', cell: (r) => r.name, key: 'name' },
        { label: 'Last run', cell: (r) => (r.at > 0 ? ago(r.at) : 'never'), key: 'at' },
      ],
      heartbeats,
      'No function has reported yet.',
      { 'data-table': 'heartbeats' },
    ),
  );
}

function usersTable(ctx: PageContext, users: AdminUser[]): HTMLElement {
  const c = ctx.config;
  const sorted = [...users].sort(
    (a, b) => b.hashrate - a.hashrate || (b.balance > a.balance ? 1 : b.balance < a.balance ? -1 : 0),
  );
  const columns: Column<AdminUser>[] = [
    {
      label: 'Address',
      cell: (u) => h('a', { href: `#/miner/${u.address}`, class: 'mono', title: u.address }, shortId(u.address)),
      key: 'address',
    },
    { label: 'Hashrate', cell: (u) => formatHashrate(u.hashrate), numeric: true, key: 'hashrate' },
    { label: 'Balance', cell: (u) => coins(c, u.balance), numeric: true, key: 'balance' },
    { label: 'Paid', cell: (u) => coins(c, u.paid), numeric: true, wide: true, key: 'paid' },
  ];
  if (sorted.some((u) => u.workers !== null)) {
    columns.push({
      label: 'Workers',
      cell: (u) => (u.workers !== null ? formatInt(u.workers) : '—'),
      numeric: true,
      wide: true,
      key: 'workers',
    });
  }
  columns.push({ label: 'Last share', cell: (u) => (u.lastShare > 0 ? ago(u.lastShare) : '—'), key: 'last' });
  return table<AdminUser>(`Miners (${sorted.length})`, columns, sorted, 'No miners yet.', {
    'data-table': 'admin-users',
  });
}
