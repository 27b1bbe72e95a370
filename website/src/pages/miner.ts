/**
 * My stats: `#/miner/<address>`. The address is checked in the browser first; then /stats_address (hashrate,
 * balance, paid, last share, payments), /workers (per-worker hashrate) and /charts/miner (hashrate history) are
 * polled while the page is open. Older payments page through /get_payments?time=&address=. The payout-threshold
 * form (threshold-form.ts) asks the pool for a message, has the miner sign it with their wallet, then saves.
 * `#/miner` alone opens the address remembered in localStorage, or shows the lookup form.
 */
import { checkAddress } from '../address.js';
import { ApiError, bodyError } from '../api.js';
import { lineChart } from '../chart.js';
import { h, replace } from '../dom.js';
import { formatHashrate, formatInt } from '../format.js';
import { Poller } from '../live.js';
import {
  parseChart,
  parseMinerStats,
  parsePayments,
  parseWorkers,
  type MinerStats,
  type PaymentRow,
  type WorkerRow,
} from '../model.js';
import type { PageContext, PageDef } from '../page.js';
import { ago, coins, errorBox, notice, olderButton, section, table, tiles, txLink, type Column } from '../ui.js';
import { addressForm, forgetAddress, rememberAddress, rememberedAddress } from './lookup.js';
import { thresholdForm } from './threshold-form.js';

const CHART_REFRESH_MS = 60_000;

export const minerPage: PageDef = {
  name: 'miner',
  title: 'My stats',
  nav: 'My stats',
  render(ctx: PageContext) {
    const address = (ctx.params[0] ?? '').trim();
    if (address === '') {
      const saved = rememberedAddress();
      if (saved !== '' && checkAddress(saved, ctx.config.network).ok) {
        queueMicrotask(() => ctx.navigate(`miner/${saved}`, true));
      }
      return {
        el: h(
          'div',
          { class: 'page page-miner' },
          h('h1', null, 'My stats'),
          h('p', null, 'Enter the wallet address you mine to. This browser remembers it for next time.'),
          addressForm(ctx, 'miner-lookup', saved),
        ),
      };
    }
    const check = checkAddress(address, ctx.config.network);
    if (!check.ok) {
      return {
        el: h(
          'div',
          { class: 'page page-miner' },
          h('h1', null, 'My stats'),
          errorBox(check.message, { id: 'address-error', 'data-error': 'address' }),
          addressForm(ctx, 'miner-lookup', address),
        ),
      };
    }
    return minerView(ctx, address);
  },
};

function minerView(ctx: PageContext, address: string): { el: HTMLElement; destroy(): void } {
  const c = ctx.config;
  const status = h('div', { id: 'miner-status', 'aria-live': 'polite' }, notice('Loading your stats…'));
  const figures = tiles('Your figures', [
    ['miner-hashrate', 'Hashrate'],
    ['miner-balance', 'Pending balance'],
    ['miner-paid', 'Total paid'],
    ['miner-last-share', 'Last share'],
    ['miner-hashes', 'Total hashes submitted'],
    ['miner-threshold', 'Payout threshold'],
  ]);
  const workersBox = h('div', { id: 'workers' }, notice('Loading workers…'));
  const paymentsBox = h('div', { id: 'miner-payments' });
  const chart = lineChart({ label: 'Your hashrate', format: formatHashrate });
  let payments: PaymentRow[] = [];
  let olderLoaded = false;

  const moreButton = olderButton('Load older payments', async () => {
    const last = payments[payments.length - 1];
    if (!last) return false;
    const older = parsePayments(
      await ctx.api.get('/get_payments', { time: Math.floor(last.time / 1000), address }),
    ).filter((p) => p.time < last.time);
    olderLoaded = true;
    payments = [...payments, ...older];
    renderPayments();
    return older.length > 0;
  });

  const renderPayments = (): void => {
    moreButton.hidden = payments.length === 0;
    replace(
      paymentsBox,
      table<PaymentRow>(
        'Payments to this address',
        [
          { label: 'Sent', cell: (p) => ago(p.time), key: 'time' },
          { label: 'Amount', cell: (p) => coins(c, p.amount), numeric: true, key: 'amount' },
          { label: 'Transaction', cell: (p) => txLink(c, p.hash), key: 'tx' },
          { label: 'Fee', cell: (p) => coins(c, p.fee), numeric: true, wide: true, key: 'fee' },
        ],
        payments,
        'No payments yet. Payouts go out once your balance reaches the threshold.',
        { 'data-table': 'miner-payments' },
      ),
    );
  };

  const renderStats = (m: MinerStats, threshold: bigint | null): void => {
    figures.set('miner-hashrate', formatHashrate(m.hashrate), String(m.hashrate));
    figures.set(
      'miner-balance',
      coins(c, m.balance),
      m.balance.toString(),
      m.pending > 0n ? h('span', null, '+ ', coins(c, m.pending), ' being sent') : null,
    );
    figures.set('miner-paid', coins(c, m.paid), m.paid.toString());
    figures.set('miner-last-share', m.lastShare > 0 ? ago(m.lastShare) : 'never', String(m.lastShare));
    figures.set('miner-hashes', formatInt(m.hashes), m.hashes.toString());
    const eff = m.threshold ?? threshold;
    figures.set(
      'miner-threshold',
      eff !== null ? coins(c, eff) : '—',
      eff !== null ? eff.toString() : '',
      m.threshold !== null ? 'your own setting' : 'the pool default',
    );
    // The live list replaces the newest page; pages loaded with "older" stay below it.
    if (!olderLoaded) payments = m.payments;
    else {
      const oldest = m.payments[m.payments.length - 1]?.time ?? Infinity;
      payments = [...m.payments, ...payments.filter((p) => p.time < oldest)];
    }
    renderPayments();
  };

  const statsPoller = new Poller<{ found: boolean; miner: MinerStats | null }>({
    connection: ctx.connection,
    fetch: async (signal) => {
      const body = await ctx.api.get('/stats_address', { address }, { signal });
      const err = bodyError(body);
      if (err !== null) return { found: false, miner: null };
      return { found: true, miner: parseMinerStats(address, body) };
    },
    onData: ({ found, miner }) => {
      if (!found || miner === null) {
        replace(
          status,
          notice(
            h(
              'span',
              { 'data-miner': 'not-found' },
              'The pool has no shares from this address yet. If you just started mining, give it a minute; check that xmrig shows accepted shares.',
            ),
          ),
        );
        return;
      }
      replace(status);
      // remembered once the pool knows the address, so a typo or a stranger's address is not kept
      rememberAddress(address);
      renderStats(miner, ctx.stats.value?.config.minPaymentThreshold ?? null);
    },
    onError: (e) => {
      if (e instanceof ApiError && e.kind === 'http' && e.status < 500) {
        replace(status, errorBox(e.message, { 'data-error': 'api' }));
      }
    },
    intervalMs: () => c.refreshSeconds * 1000,
  });

  const workersPoller = new Poller<WorkerRow[]>({
    connection: ctx.connection,
    fetch: async (signal) => parseWorkers(await ctx.api.get('/workers', { address }, { signal })),
    onData: (workers) => {
      const sorted = [...workers].sort((a, b) => b.hashrate - a.hashrate || a.name.localeCompare(b.name));
      const columns: Column<WorkerRow>[] = [
        { label: 'Worker', cell: (w) => w.name, key: 'name' },
        { label: 'Hashrate', cell: (w) => formatHashrate(w.hashrate), numeric: true, key: 'hashrate' },
        { label: 'Last share', cell: (w) => (w.lastShare > 0 ? ago(w.lastShare) : '—'), key: 'last' },
      ];
      if (sorted.some((w) => w.hashes !== null)) {
        columns.push({
          label: 'Hashes',
          cell: (w) => (w.hashes !== null ? formatInt(w.hashes) : '—'),
          numeric: true,
          wide: true,
          key: 'hashes',
        });
      }
      replace(
        workersBox,
        table<WorkerRow>(`Workers (${sorted.length})`, columns, sorted, 'No workers seen recently.', {
          'data-table': 'workers',
        }),
      );
    },
    intervalMs: () => c.refreshSeconds * 1000,
  });

  const chartPoller = new Poller({
    connection: ctx.connection,
    fetch: async (signal) => parseChart(await ctx.api.get('/charts/miner', { address }, { signal })),
    onData: (series) => chart.setData(series),
    intervalMs: () => CHART_REFRESH_MS,
  });

  const threshold = thresholdForm(ctx, address, () => statsPoller.now());
  const el = h(
    'div',
    { class: 'page page-miner' },
    h('h1', null, 'My stats'),
    h(
      'p',
      { class: 'address-line' },
      h('span', { class: 'label' }, 'Address '),
      h('code', { class: 'address', id: 'miner-address', title: address }, address),
      ' ',
      h(
        'button',
        {
          type: 'button',
          class: 'link-button',
          onclick: () => {
            forgetAddress();
            ctx.navigate('miner');
          },
        },
        'Use another address',
      ),
    ),
    status,
    section('Overview', 'miner-overview', figures.el),
    section('Hashrate', 'miner-chart', h('div', { class: 'chart-host' }, chart.el)),
    section('Workers', 'miner-workers', workersBox),
    section('Payments', 'miner-payments', paymentsBox, moreButton),
    section('Payout threshold', 'miner-threshold', threshold.form),
  );
  statsPoller.start();
  workersPoller.start();
  chartPoller.start();
  renderPayments();
  return {
    el,
    destroy() {
      statsPoller.stop();
      workersPoller.stop();
      chartPoller.stop();
      chart.destroy();
      threshold.destroy();
    },
  };
}
