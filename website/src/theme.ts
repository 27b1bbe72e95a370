/**
 * Light and dark themes: follows prefers-color-scheme until the visitor picks one with the toggle, then
 * remembers it (localStorage `pool.theme`). The theme is `data-theme` on <html>; public/theme-init.js applies it
 * before first paint.
 *
 * Data model: localStorage "pool.theme" = "light" | "dark" (absent = follow the system).
 */
import { h } from './dom.js';

const KEY = 'pool.theme';
type Theme = 'light' | 'dark';

function saved(): Theme | null {
  try {
    const t = localStorage.getItem(KEY);
    return t === 'light' || t === 'dark' ? t : null;
  } catch {
    return null;
  }
}

function system(): Theme {
  return matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
}

function apply(t: Theme): void {
  if (document.documentElement.getAttribute('data-theme') !== t) document.documentElement.setAttribute('data-theme', t);
}

export function current(): Theme {
  return document.documentElement.getAttribute('data-theme') === 'dark' ? 'dark' : 'light';
}

/** Apply the theme, follow system changes, and return the toggle button. */
export function themeToggle(): HTMLButtonElement {
  apply(saved() ?? system());
  matchMedia('(prefers-color-scheme: dark)').addEventListener('change', () => {
    if (saved() === null) apply(system());
    label();
  });
  const btn = h('button', { type: 'button', class: 'theme-toggle', id: 'theme-toggle' });
  const label = (): void => {
    const next = current() === 'dark' ? 'light' : 'dark';
    btn.textContent = current() === 'dark' ? '☀' : '☾';
    btn.setAttribute('aria-label', `Switch to ${next} theme`);
    btn.title = `Switch to ${next} theme`;
  };
  btn.addEventListener('click', () => {
    const next: Theme = current() === 'dark' ? 'light' : 'dark';
    try {
      localStorage.setItem(KEY, next);
    } catch {
      /* storage blocked: the choice lasts for this page only */
    }
    apply(next);
    label();
  });
  label();
  return btn;
}
