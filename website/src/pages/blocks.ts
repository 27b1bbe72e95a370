/**
 * Blocks: the pool's pending blocks with their maturity (confirmations / unlock depth), then the matured ones,
 * confirmed or orphaned, with reward, effort (round shares / network difficulty) and explorer links. The newest
 * come from /stats; "Load older" pages through /get_blocks?height=<lowest shown>.
 */
import { explorerUrl } from '../config.js';
import { h, linkOrText, replace } from '../dom.js';
import { formatInt, formatPercent } from '../format.js';
import { parseBlocks, type BlockRow, type PoolStats } from '../model.js';
import type { PageContext, PageDef } from '../page.js';
import { ago, blockLink, coins, notice, olderButton, section, table, tiles } from '../ui.js';

function effort(b: BlockRow): string {
  return b.difficulty > 0n ? formatPercent(Number(b.shares) / Number(b.difficulty), 0) : '—';
}

function effortClass(b: BlockRow): string {
  if (b.difficulty <= 0n) return '';
  return Number(b.shares) / Number(b.difficulty) <= 1 ? 'good' : 'bad';
}

const STATUS_TEXT: Record<BlockRow['status'], string> = {
  pending: 'Pending',
  confirmed: 'Confirmed',
  orphaned: 'Orphaned',
};

export const blocksPage: PageDef = {
  name: 'blocks',
  title: 'Blocks',
  nav: 'Blocks',
  render(ctx: PageContext) {
    const c = ctx.config;
    const summary = tiles('Blocks summary', [
      ['blocks-total', 'Blocks found'],
      ['blocks-pending', 'Pending'],
      ['blocks-orphaned', 'Orphaned'],
      ['blocks-effort', 'Average effort'],
    ]);
    const pendingBox = h('div', { id: 'blocks-pending' }, notice('Loading…'));
    const maturedBox = h('div', { id: 'blocks-matured' });
    let older: BlockRow[] = [];
    let last: PoolStats | null = null;
    let lowestShown: number | null = null;
    // Kept outside the re-rendered table so it keeps focus across live updates.
    const moreButton = olderButton('Load older blocks', async () => {
      if (lowestShown === null) return false;
      const below = lowestShown;
      const page = parseBlocks(await ctx.api.get('/get_blocks', { height: below })).filter((b) => b.height < below);
      older = [...older, ...page];
      if (last) render(last);
      return page.length > 0;
    });

    // the height links to the explorer too, so a phone (which hides the hash column) keeps the link
    const height = (b: BlockRow): HTMLElement =>
      linkOrText(explorerUrl(c.blockExplorer, b.hash, c.symbol), formatInt(b.height), { title: b.hash });

    const render = (s: PoolStats): void => {
      last = s;
      const depth = s.config.depth;
      const tip = s.network.height;
      const pending = s.pool.blocks.filter((b) => b.status === 'pending');
      const recent = s.pool.blocks.filter((b) => b.status !== 'pending');
      const lowestRecent = recent[recent.length - 1]?.height ?? Infinity;
      const matured = [...recent, ...older.filter((b) => b.height < lowestRecent)];
      const all = [...pending, ...matured];
      const withDiff = all.filter((b) => b.difficulty > 0n);
      const avgEffort =
        withDiff.length > 0
          ? withDiff.reduce((a, b) => a + Number(b.shares) / Number(b.difficulty), 0) / withDiff.length
          : null;
      summary.set('blocks-total', formatInt(s.pool.totalBlocks), String(s.pool.totalBlocks));
      summary.set('blocks-pending', formatInt(pending.length), String(pending.length));
      summary.set('blocks-orphaned', formatInt(s.pool.blocksOrphaned), String(s.pool.blocksOrphaned));
      summary.set(
        'blocks-effort',
        avgEffort === null ? '—' : formatPercent(avgEffort, 0),
        avgEffort === null ? '' : String(avgEffort),
        `over the ${withDiff.length} blocks listed`,
      );

      replace(
        pendingBox,
        table<BlockRow>(
          'Pending blocks (waiting for confirmations)',
          [
            { label: 'Height', cell: (b) => height(b), numeric: true, key: 'height' },
            { label: 'Found', cell: (b) => ago(b.time), key: 'time' },
            {
              label: 'Maturity',
              key: 'maturity',
              cell: (b) => {
                const conf = Math.max(0, Math.min(depth, tip - b.height));
                return h(
                  'span',
                  { class: 'maturity' },
                  h('progress', { max: depth, value: conf, 'aria-label': `${conf} of ${depth} confirmations` }),
                  h('span', { class: 'maturity-text' }, `${conf} / ${depth}`),
                );
              },
            },
            {
              label: 'Effort',
              cell: (b) => h('span', { class: effortClass(b) }, effort(b)),
              numeric: true,
              key: 'effort',
            },
            { label: 'Block', cell: (b) => blockLink(c, b.hash), wide: true, key: 'hash' },
          ],
          pending,
          'No blocks waiting for confirmations.',
          { 'data-table': 'blocks-pending' },
        ),
      );
      lowestShown = matured[matured.length - 1]?.height ?? null;
      moreButton.hidden = lowestShown === null;
      replace(
        maturedBox,
        table<BlockRow>(
          'Matured blocks',
          [
            { label: 'Height', cell: (b) => height(b), numeric: true, key: 'height' },
            { label: 'Found', cell: (b) => ago(b.time), wide: true, key: 'time' },
            {
              label: 'Status',
              cell: (b) => h('span', { class: `status ${b.status}` }, STATUS_TEXT[b.status]),
              key: 'status',
            },
            {
              label: 'Reward',
              cell: (b) => (b.reward !== null && b.status === 'confirmed' ? coins(c, b.reward) : '—'),
              numeric: true,
              key: 'reward',
            },
            {
              label: 'Effort',
              cell: (b) => h('span', { class: effortClass(b) }, effort(b)),
              numeric: true,
              key: 'effort',
            },
            { label: 'Block', cell: (b) => blockLink(c, b.hash), wide: true, key: 'hash' },
          ],
          matured,
          'No matured blocks yet.',
          { 'data-table': 'blocks-matured' },
        ),
      );
    };

    const el = h(
      'div',
      { class: 'page page-blocks' },
      h('h1', null, 'Blocks found by the pool'),
      h(
        'p',
        null,
        'A block pays out once it is buried under enough later blocks to be safe from a chain reorganisation. ',
        'Effort is the work the pool did for it relative to the network difficulty: under 100 % is lucky.',
      ),
      section('Summary', 'blocks-summary', summary.el),
      section('Pending', 'pending', pendingBox),
      section('Confirmed and orphaned', 'matured', maturedBox, moreButton),
    );
    const unsub = ctx.stats.subscribe(render);
    return { el, destroy: unsub };
  },
};
