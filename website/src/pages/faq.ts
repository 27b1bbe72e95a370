/**
 * FAQ: static answers, with the pool's own numbers (fee, scheme, unlock depth, minimum payout) filled in from
 * /stats when they are known. Each answer is a <details> element: keyboard- and screen-reader-friendly as is.
 */
import { h, replace } from '../dom.js';
import { formatCoins, formatDuration } from '../format.js';
import type { PoolStats } from '../model.js';
import type { PageContext, PageDef } from '../page.js';

const SCHEMES: Record<string, string> = {
  prop: "PROP: each block's reward is shared in proportion to the work (share difficulty) each miner did in that round.",
  pplns: "PPLNS: each block's reward is shared over the last N shares before it, so hopping in and out does not pay.",
  solo: 'SOLO: the miner who finds a block gets its whole reward, less the solo fee.',
  slush: 'Score-based PROP: shares count more the later they are in the round, which discourages pool hopping.',
};

export const faqPage: PageDef = {
  name: 'faq',
  title: 'FAQ',
  nav: 'FAQ',
  render(ctx: PageContext) {
    const c = ctx.config;
    const list = h('div', { class: 'faq' });
    let shown = '';
    const render = (s: PoolStats | null): void => {
      // Re-render only when the numbers in the answers change, keeping which answers are open.
      const key = s ? `${s.config.fee}|${s.config.depth}|${s.config.scheme}|${s.config.minPaymentThreshold}` : '-';
      if (key === shown) return;
      shown = key;
      const open = new Set([...list.querySelectorAll('details[open]')].map((d) => d.id));
      const fee = s ? `${s.config.fee} %` : 'the fee shown on the home page';
      const depth = s?.config.depth ?? 60;
      const scheme = SCHEMES[s?.config.scheme ?? 'prop'] ?? `The pool pays with the ${s?.config.scheme ?? ''} scheme.`;
      const min = s?.config.minPaymentThreshold ?? null;
      const qa: Array<[string, Array<Node | string>]> = [
        [
          'How do I start mining?',
          [
            'Download xmrig, then use ',
            h('a', { href: '#/start' }, 'Getting started'),
            ' to write its command line for your address.',
          ],
        ],
        ['How are rewards shared?', [scheme, ` The pool keeps a fee of ${fee}.`]],
        [
          'When do I get paid?',
          [
            `A block the pool finds must be ${depth} blocks deep (about ${formatDuration(depth * 120)}) before its reward is shared out. `,
            'Your balance is then paid once it reaches ',
            min !== null
              ? `${formatCoins(min, c.coinUnits, c.symbol)} (the pool's minimum)`
              : "the pool's minimum payout",
            ', or your own higher threshold, which you can set under My stats.',
          ],
        ],
        [
          "Why does my hashrate here differ from xmrig's?",
          [
            'The pool estimates your hashrate from the shares it receives, averaged over the last few minutes. Shares are random, ',
            'so the estimate swings around the real value; with few shares a minute it swings more. Compare averages over an hour.',
          ],
        ],
        [
          'What is effort?',
          [
            'The work the pool did for a block compared with the network difficulty. 100 % is the expected amount; less is lucky, ',
            'more is unlucky. Over many blocks it averages out near 100 %.',
          ],
        ],
        [
          'What is an orphaned block?',
          [
            "A block the network replaced with another one at the same height. It pays nothing; the round's shares count towards the next block.",
          ],
        ],
        [
          'How do I name my rigs?',
          [
            'Give each machine a worker name (xmrig ',
            h('code', null, '--rig-id'),
            ', or ',
            h('code', null, 'address.name'),
            ' as the login). My stats then lists each one with its own hashrate.',
          ],
        ],
        [
          'Can I choose my difficulty?',
          [
            'Yes: add ',
            h('code', null, `+${'50000'}`),
            ' to your address in the login for a fixed difficulty. Usually it is best left to the pool, which aims for a share every 30 seconds or so.',
          ],
        ],
        [
          'Which addresses work?',
          [
            'Your main address (starts with 4) or a subaddress (starts with 8). Integrated addresses and exchange deposit addresses that need a payment ID are not accepted.',
          ],
        ],
        [
          'Is my connection encrypted?',
          ['Ports marked TLS in the ports table are; add ', h('code', null, '--tls'), ' to xmrig for them.'],
        ],
      ];
      replace(
        list,
        qa.map(([q, a], i) =>
          h('details', { id: `faq-${i}`, open: open.has(`faq-${i}`) }, h('summary', null, q), h('p', null, ...a)),
        ),
        c.email
          ? h(
              'p',
              { class: 'contact' },
              'Anything else? Write to ',
              h('a', { href: `mailto:${c.email}` }, c.email),
              '.',
            )
          : null,
      );
    };
    render(ctx.stats.value);
    const unsub = ctx.stats.subscribe(render);
    return {
      el: h('div', { class: 'page page-faq' }, h('h1', null, 'Frequently asked questions'), list),
      destroy: unsub,
    };
  },
};
