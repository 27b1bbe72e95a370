/**
 * The address lookup form (home and "My stats"): checks the address in the browser first, with a message that
 * says what is wrong, then opens `#/miner/<address>`. The miner page remembers the address (localStorage) once the
 * pool knows it.
 *
 * Data model: localStorage "pool.address" = the last address looked up.
 */
import { checkAddress } from '../address.js';
import { h } from '../dom.js';
import type { PageContext } from '../page.js';

const KEY = 'pool.address';

export function rememberedAddress(): string {
  try {
    return localStorage.getItem(KEY) ?? '';
  } catch {
    return '';
  }
}

export function rememberAddress(address: string): void {
  try {
    localStorage.setItem(KEY, address);
  } catch {
    /* storage blocked */
  }
}

export function forgetAddress(): void {
  try {
    localStorage.removeItem(KEY);
  } catch {
    /* storage blocked */
  }
}

export function addressForm(ctx: PageContext, id: string, initial = rememberedAddress()): HTMLFormElement {
  const errorId = `${id}-error`;
  const input = h('input', {
    id: `${id}-address`,
    name: 'address',
    type: 'text',
    inputmode: 'text',
    autocomplete: 'off',
    autocapitalize: 'off',
    spellcheck: 'false',
    placeholder: '4… or 8…',
    value: initial,
    'aria-describedby': errorId,
    required: true,
  });
  const error = h('p', { id: errorId, class: 'field-error', 'aria-live': 'polite' });
  const form = h(
    'form',
    { class: 'lookup', id, role: 'search', novalidate: true },
    h('label', { for: `${id}-address` }, 'Your wallet address'),
    h('div', { class: 'input-row' }, input, h('button', { type: 'submit', class: 'button' }, 'Look up')),
    error,
  );
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const address = input.value.trim();
    const check = checkAddress(address, ctx.config.network);
    if (!check.ok) {
      error.textContent = check.message;
      input.setAttribute('aria-invalid', 'true');
      input.focus();
      return;
    }
    error.textContent = '';
    input.removeAttribute('aria-invalid');
    ctx.navigate(`miner/${address}`);
  });
  return form;
}
