/**
 * A tiny element builder. Text always goes in as text nodes (never innerHTML), so API data cannot inject markup.
 *
 * Data model: none.
 */
type Child = Node | string | number | null | undefined | false | readonly Child[];
type Attrs = Record<string, string | number | boolean | null | undefined | EventListener>;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs?: Attrs | null,
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (attrs) {
    for (const [k, v] of Object.entries(attrs)) {
      if (v === null || v === undefined || v === false) continue;
      if (typeof v === 'function') {
        el.addEventListener(k.replace(/^on/, '').toLowerCase(), v);
      } else if (k === 'class') {
        el.className = String(v);
      } else if (v === true) {
        el.setAttribute(k, '');
      } else {
        el.setAttribute(k, String(v));
      }
    }
  }
  append(el, children);
  return el;
}

function append(el: Node, children: readonly Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c as readonly Child[]);
    else
      el.appendChild(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : (c as Node));
  }
}

/** Replace an element's children. */
export function replace(el: Element, ...children: Child[]): void {
  el.replaceChildren();
  append(el, children);
}

/** A <time> with a relative label and the absolute time as tooltip. */
export function timeEl(ms: number, label: string, title: string): HTMLTimeElement {
  return h(
    'time',
    { datetime: ms > 0 ? new Date(ms).toISOString() : null, title, 'data-ms': ms > 0 ? ms : null },
    label,
  );
}

/** An external link, or plain text when there's no URL. */
export function linkOrText(url: string, text: string, attrs: Attrs = {}): HTMLElement {
  return url
    ? h('a', { href: url, target: '_blank', rel: 'noopener noreferrer', ...attrs }, text)
    : h('span', attrs, text);
}

/** A relative time ("5 min ago") kept current by the shell's 1 s ticker; absolute time as tooltip. */
export function agoEl(ms: number, ago: (ms: number) => string, abs: (ms: number) => string): HTMLTimeElement {
  const el = timeEl(ms, ago(ms), abs(ms));
  if (ms > 0) el.setAttribute('data-rel', '');
  return el;
}
