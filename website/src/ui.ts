/**
 * Building blocks shared by the pages: tables (with a caption, an empty state, scrolling inside their own box on
 * a phone), coin amounts with the exact value as tooltip, explorer links, error / notice boxes and a pager.
 *
 * Data model: Column<T> {label, cell(row), numeric?, wide? (hidden on narrow screens)}.
 */
import { explorerUrl, type SiteConfig } from './config.js';
import { agoEl, h, linkOrText } from './dom.js';
import { coinsExact, formatAgo, formatCoins, formatDateTime, shortId } from './format.js';

export interface Column<T> {
  label: string;
  cell: (row: T) => Node | string;
  numeric?: boolean;
  /** Hidden on narrow screens (the least important columns). */
  wide?: boolean;
  key?: string;
}

export function table<T>(
  caption: string,
  columns: Column<T>[],
  rowsIn: T[],
  empty: string,
  attrs: Record<string, string> = {},
): HTMLElement {
  const cls = (c: Column<T>): string => [c.numeric ? 'num' : '', c.wide ? 'wide' : ''].filter(Boolean).join(' ');
  const thead = h(
    'thead',
    null,
    h(
      'tr',
      null,
      columns.map((c) => h('th', { scope: 'col', class: cls(c) || null }, c.label)),
    ),
  );
  const tbody = h(
    'tbody',
    null,
    rowsIn.length === 0
      ? h('tr', { class: 'empty' }, h('td', { colspan: columns.length }, empty))
      : rowsIn.map((r) =>
          h(
            'tr',
            null,
            columns.map((c) => h('td', { class: cls(c) || null, 'data-col': c.key ?? null }, c.cell(r))),
          ),
        ),
  );
  return h('div', { class: 'table-wrap', ...attrs }, h('table', null, h('caption', null, caption), thead, tbody));
}

/** A coin amount: readable precision, exact amount in the tooltip and in data-atomic for tests and scripts. */
export function coins(config: SiteConfig, atomic: bigint, withSymbol = true): HTMLElement {
  return h(
    'span',
    {
      class: 'coins',
      title: `${coinsExact(atomic, config.coinUnits)} ${config.symbol}`,
      'data-atomic': atomic.toString(),
    },
    formatCoins(atomic, config.coinUnits, withSymbol ? config.symbol : ''),
  );
}

export function ago(ms: number): HTMLTimeElement {
  return agoEl(ms, (t) => formatAgo(t), formatDateTime);
}

export function blockLink(config: SiteConfig, hash: string, label = shortId(hash)): HTMLElement {
  return linkOrText(explorerUrl(config.blockExplorer, hash, config.symbol), label, { class: 'mono', title: hash });
}

export function txLink(config: SiteConfig, hash: string, label = shortId(hash)): HTMLElement {
  return linkOrText(explorerUrl(config.txExplorer, hash, config.symbol), label, { class: 'mono', title: hash });
}

export function errorBox(message: string, attrs: Record<string, string> = {}): HTMLElement {
  return h('p', { class: 'error', role: 'alert', ...attrs }, message);
}

export function notice(message: Node | string): HTMLElement {
  return h('p', { class: 'notice' }, message);
}

export function section(title: string, id: string, ...children: Array<Node | null | false>): HTMLElement {
  return h('section', { class: 'panel', 'aria-labelledby': `${id}-h` }, h('h2', { id: `${id}-h` }, title), ...children);
}

/** "Load older" button that runs `load` and disables itself while busy or when nothing more is left. */
export function olderButton(label: string, load: () => Promise<boolean>): HTMLButtonElement {
  const btn = h('button', { type: 'button', class: 'button secondary' }, label);
  btn.addEventListener('click', () => {
    btn.disabled = true;
    btn.textContent = 'Loading…';
    load()
      .then((more) => {
        btn.textContent = more ? label : 'No older entries';
        btn.disabled = !more;
      })
      .catch((e: unknown) => {
        btn.textContent = `${label} (failed: ${e instanceof Error ? e.message : String(e)})`;
        btn.disabled = false;
      });
  });
  return btn;
}

export interface Tiles {
  el: HTMLElement;
  /** Update one tile in place; `raw` goes to data-value (the API's number, for tests and custom.js). */
  set(key: string, value: Node | string, raw?: string, hint?: Node | string | null): void;
}

/** A grid of labelled figures (<dl>), each `data-stat=<key>`, updated in place. */
export function tiles(label: string, defs: Array<[key: string, label: string]>): Tiles {
  const cells = new Map<string, { value: HTMLElement; hint: HTMLElement; box: HTMLElement }>();
  const el = h(
    'dl',
    { class: 'tiles', 'aria-label': label },
    defs.map(([key, text]) => {
      const value = h('span', { class: 'value' }, '—');
      const hint = h('small', { class: 'hint' });
      const box = h('div', { class: 'tile', 'data-stat': key }, h('dt', null, text), h('dd', null, value, hint));
      cells.set(key, { value, hint, box });
      return box;
    }),
  );
  return {
    el,
    set(key, value, raw, hint) {
      const c = cells.get(key);
      if (!c) return;
      c.value.replaceChildren(value);
      if (raw !== undefined) c.box.setAttribute('data-value', raw);
      c.hint.replaceChildren(hint ?? '');
    },
  };
}
