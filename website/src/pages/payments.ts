/**
 * Payments: the pool's outgoing transactions, newest first (from /stats), older ones paged through
 * /get_payments?time=<oldest shown, unix s>.
 */
import { h, replace } from '../dom.js';
import { formatInt } from '../format.js';
import { parsePayments, type PaymentRow, type PoolStats } from '../model.js';
import type { PageContext, PageDef } from '../page.js';
import { ago, coins, notice, olderButton, section, table, tiles, txLink } from '../ui.js';

export const paymentsPage: PageDef = {
  name: 'payments',
  title: 'Payments',
  nav: 'Payments',
  render(ctx: PageContext) {
    const c = ctx.config;
    const summary = tiles('Payments summary', [
      ['payments-total', 'Payments sent'],
      ['payments-miners', 'Miners paid'],
      ['payments-min', 'Minimum payout'],
      ['payments-denomination', 'Paid in multiples of'],
    ]);
    const box = h('div', { id: 'payments' }, notice('Loading…'));
    let older: PaymentRow[] = [];
    let last: PoolStats | null = null;
    let oldestShown: number | null = null;
    const moreButton = olderButton('Load older payments', async () => {
      if (oldestShown === null) return false;
      const before = oldestShown;
      const page = parsePayments(await ctx.api.get('/get_payments', { time: Math.floor(before / 1000) })).filter(
        (p) => p.time < before,
      );
      older = [...older, ...page];
      if (last) render(last);
      return page.length > 0;
    });

    const render = (s: PoolStats): void => {
      last = s;
      const recent = s.pool.payments;
      const oldestRecent = recent[recent.length - 1]?.time ?? Infinity;
      const rows = [...recent, ...older.filter((p) => p.time < oldestRecent)];
      oldestShown = rows[rows.length - 1]?.time ?? null;
      moreButton.hidden = oldestShown === null;
      summary.set('payments-total', formatInt(s.pool.totalPayments), String(s.pool.totalPayments));
      summary.set('payments-miners', formatInt(s.pool.totalMinersPaid), String(s.pool.totalMinersPaid));
      const min = s.config.minPaymentThreshold;
      summary.set('payments-min', min !== null ? coins(c, min) : '—', min?.toString() ?? '');
      const den = s.config.denominationUnit;
      summary.set('payments-denomination', den !== null ? coins(c, den) : '—', den?.toString() ?? '');
      replace(
        box,
        table<PaymentRow>(
          'Payments sent by the pool',
          [
            { label: 'Sent', cell: (p) => ago(p.time), key: 'time' },
            { label: 'Amount', cell: (p) => coins(c, p.amount), numeric: true, key: 'amount' },
            {
              label: 'Payees',
              cell: (p) => (p.payees !== null ? formatInt(p.payees) : '—'),
              numeric: true,
              wide: true,
              key: 'payees',
            },
            { label: 'Fee', cell: (p) => coins(c, p.fee), numeric: true, wide: true, key: 'fee' },
            {
              label: 'Mixin',
              cell: (p) => (p.mixin > 0 ? String(p.mixin) : '—'),
              numeric: true,
              wide: true,
              key: 'mixin',
            },
            { label: 'Transaction', cell: (p) => txLink(c, p.hash), key: 'tx' },
          ],
          rows,
          'The pool has not sent any payments yet.',
          { 'data-table': 'payments' },
        ),
      );
    };

    const el = h(
      'div',
      { class: 'page page-payments' },
      h('h1', null, 'Payments'),
      h(
        'p',
        null,
        'Every payout transaction the pool has sent. Look up your own under ',
        h('a', { href: '#/miner' }, 'My stats'),
        '.',
      ),
      section('Summary', 'payments-summary', summary.el),
      section('Transactions', 'payments-list', box, moreButton),
    );
    const unsub = ctx.stats.subscribe(render);
    return { el, destroy: unsub };
  },
};
