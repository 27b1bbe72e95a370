/**
 * Home: the pool and the network at a glance (from the shared /stats snapshot), a chart from /charts/pool, and an
 * address lookup that leads to "My stats".
 */
import { lineChart } from '../chart.js';
import { h } from '../dom.js';
import {
  formatCoins,
  formatCompact,
  formatDateTime,
  formatHashrate,
  formatInt,
  formatPercent,
  shortId,
} from '../format.js';
import { Poller } from '../live.js';
import { parseChart, type PoolStats } from '../model.js';
import type { PageContext, PageDef } from '../page.js';
import { ago, blockLink, coins, section, tiles } from '../ui.js';
import { addressForm } from './lookup.js';

const CHART_REFRESH_MS = 60_000;

const CHARTS: Array<{ name: string; label: string; format: (v: number) => string }> = [
  { name: 'hashrate', label: 'Pool hashrate', format: formatHashrate },
  { name: 'miners', label: 'Miners', format: (v) => formatInt(Math.round(v)) },
  { name: 'difficulty', label: 'Network difficulty', format: formatCompact },
];

export const homePage: PageDef = {
  name: '',
  title: 'Pool overview',
  nav: 'Home',
  render(ctx: PageContext) {
    const pool = tiles('Pool', [
      ['pool-hashrate', 'Pool hashrate'],
      ['miners', 'Miners'],
      ['workers', 'Workers'],
      ['blocks-found', 'Blocks found'],
      ['last-block', 'Last block found'],
      ['round-effort', 'Current round effort'],
      ['pool-fee', 'Pool fee'],
    ]);
    const network = tiles('Network', [
      ['network-hashrate', 'Network hashrate'],
      ['network-difficulty', 'Difficulty'],
      ['network-height', 'Height'],
      ['block-reward', 'Block reward'],
      ['network-last-block', 'Last network block'],
    ]);

    const chart = lineChart({ label: CHARTS[0]!.label, format: CHARTS[0]!.format });
    let chartIndex = 0;
    const select = h(
      'select',
      { id: 'chart-select', 'aria-label': 'Chart' },
      CHARTS.map((c, i) => h('option', { value: String(i) }, c.label)),
    );
    let chartHost = h('div', { class: 'chart-host' }, chart.el);
    let currentChart = chart;
    const chartPoller = new Poller({
      connection: ctx.connection,
      fetch: async (signal) =>
        parseChart(await ctx.api.get('/charts/pool', { name: CHARTS[chartIndex]!.name }, { signal })),
      onData: (series) => currentChart.setData(series),
      intervalMs: () => CHART_REFRESH_MS,
    });
    select.addEventListener('change', () => {
      chartIndex = Number(select.value);
      const def = CHARTS[chartIndex]!;
      currentChart.destroy();
      currentChart = lineChart({ label: def.label, format: def.format });
      const next = h('div', { class: 'chart-host' }, currentChart.el);
      chartHost.replaceWith(next);
      chartHost = next;
      chartPoller.now();
    });

    const update = (s: PoolStats): void => {
      const c = ctx.config;
      pool.set('pool-hashrate', formatHashrate(s.pool.hashrate), String(s.pool.hashrate));
      pool.set('miners', formatInt(s.pool.miners), String(s.pool.miners));
      pool.set('workers', formatInt(s.pool.workers), String(s.pool.workers));
      pool.set('blocks-found', formatInt(s.pool.totalBlocks), String(s.pool.totalBlocks));
      if (s.pool.lastBlockFound > 0) {
        pool.set(
          'last-block',
          ago(s.pool.lastBlockFound),
          String(s.pool.lastBlockFound),
          s.pool.lastBlockFoundHeight !== null
            ? `at height ${formatInt(s.pool.lastBlockFoundHeight)}`
            : formatDateTime(s.pool.lastBlockFound),
        );
      } else {
        pool.set('last-block', 'None yet', '0');
      }
      pool.set(
        'round-effort',
        s.pool.roundEffort === null ? '—' : formatPercent(s.pool.roundEffort, 1),
        s.pool.roundEffort === null ? '' : String(s.pool.roundEffort),
        `${formatCompact(s.pool.roundHashes)} hashes so far, ${formatCompact(s.network.difficulty)} expected`,
      );
      const donations = s.config.donation + s.config.coreDonation;
      pool.set(
        'pool-fee',
        `${s.config.fee} %`,
        String(s.config.fee),
        [
          donations > 0 ? `+ ${donations} % donations` : null,
          `${s.config.scheme.toUpperCase()} payouts`,
          s.config.minPaymentThreshold !== null
            ? `min. payout ${formatCoins(s.config.minPaymentThreshold, c.coinUnits, c.symbol)}`
            : null,
        ]
          .filter(Boolean)
          .join(' · '),
      );
      network.set('network-hashrate', formatHashrate(s.network.hashrate), String(s.network.hashrate));
      network.set('network-difficulty', formatInt(s.network.difficulty), s.network.difficulty.toString());
      network.set('network-height', formatInt(s.network.height), String(s.network.height));
      network.set('block-reward', coins(c, s.network.reward), s.network.reward.toString());
      network.set(
        'network-last-block',
        s.network.timestamp > 0 ? ago(s.network.timestamp) : '—',
        String(s.network.timestamp),
        s.network.hash ? blockLink(c, s.network.hash, shortId(s.network.hash)) : null,
      );
    };

    const el = h(
      'div',
      { class: 'page page-home' },
      h(
        'div',
        { class: 'hero' },
        h('h1', null, ctx.config.poolName),
        h(
          'p',
          { class: 'lead' },
          `Mine ${ctx.config.coinName} (RandomX) with xmrig. `,
          h('a', { href: '#/start' }, 'Get started'),
          ' in a minute, or look up your address.',
        ),
        addressForm(ctx, 'home-lookup'),
      ),
      section('Pool', 'pool', pool.el),
      section('Network', 'network', network.el),
      section(
        'History',
        'history',
        h('div', { class: 'chart-tools' }, h('label', { for: 'chart-select' }, 'Show '), select),
        chartHost,
      ),
    );
    const unsub = ctx.stats.subscribe(update);
    chartPoller.start();
    return {
      el,
      destroy() {
        unsub();
        chartPoller.stop();
        currentChart.destroy();
      },
    };
  },
};
