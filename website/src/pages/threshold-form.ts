/**
 * The payout-threshold form of "My stats". Only the owner of an address may change its threshold, proven by a
 * wallet signature (functions/api/threshold-proof.ts):
 * 1. the miner enters an amount; the form POSTs /set_payout_threshold {address, threshold, prepare: true} and shows
 *    the message the pool issued (copy, or download it as threshold-message.txt), how to sign it with
 *    monero-wallet-cli (`sign threshold-message.txt`) or the GUI (Advanced > Sign/verify), and until when it is valid;
 * 2. the miner pastes the signature; the form POSTs {address, threshold, message, signature}.
 * When the pool also accepts the IP proof (the prepare reply's `ipProof`), a second button saves without a signature.
 * API refusals are shown with their message and stable code (E_THRESHOLD_...).
 *
 * Data model: Prepared {threshold (atomic), toSign (exact text), expiresAt (unix ms)} for the shown message.
 */
import { ApiError, bodyError } from '../api.js';
import { h, replace } from '../dom.js';
import { coinsExact, formatCoins, formatDateTime, parseCoins } from '../format.js';
import type { PageContext } from '../page.js';

export const MESSAGE_FILE = 'threshold-message.txt';

interface Prepared {
  threshold: bigint;
  toSign: string;
  expiresAt: number;
  ipProof: boolean;
}

export function thresholdForm(
  ctx: PageContext,
  address: string,
  refresh: () => void,
): { form: HTMLFormElement; destroy(): void } {
  const c = ctx.config;
  const input = h('input', {
    id: 'threshold-input',
    name: 'threshold',
    type: 'text',
    inputmode: 'decimal',
    autocomplete: 'off',
    'aria-describedby': 'threshold-help threshold-msg',
  });
  const msg = h('p', { id: 'threshold-msg', class: 'form-msg', 'aria-live': 'polite' });
  const getButton = h('button', { type: 'submit', class: 'button' }, 'Get message to sign');
  const minText = h('span');
  const unsub = ctx.stats.subscribe((st) => {
    const min = st.config.minPaymentThreshold;
    minText.textContent = min !== null ? ` The pool minimum is ${formatCoins(min, c.coinUnits, c.symbol)}.` : '';
    if (min !== null) input.placeholder = coinsExact(min, c.coinUnits);
  });

  const signBox = h('div', { id: 'threshold-sign', class: 'threshold-sign', hidden: true });
  let prepared: Prepared | null = null;
  let fileUrl: string | null = null;
  const dropFile = (): void => {
    if (fileUrl !== null) URL.revokeObjectURL(fileUrl);
    fileUrl = null;
  };

  const show = (text: string, kind: '' | 'ok' | 'error'): void => {
    msg.className = kind === '' ? 'form-msg' : `form-msg ${kind}`;
    msg.textContent = text;
  };
  const failure = (e: unknown): string => {
    if (e instanceof ApiError && e.kind === 'http') return e.code !== '' ? `${e.message} (${e.code})` : e.message;
    return e instanceof Error ? e.message : String(e);
  };
  const resetSign = (): void => {
    prepared = null;
    dropFile();
    signBox.hidden = true;
    replace(signBox);
  };

  const save = (withSignature: boolean, buttons: HTMLButtonElement[], signature: string): void => {
    const p = prepared;
    if (p === null) return;
    if (withSignature && !/^SigV[12]\S+$/.test(signature)) {
      show('Paste the signature your wallet printed: it starts with "SigV2".', 'error');
      return;
    }
    const body = withSignature
      ? { address, threshold: p.threshold.toString(), message: p.toSign, signature }
      : { address, threshold: p.threshold.toString() };
    for (const b of buttons) b.disabled = true;
    show('Saving…', '');
    ctx.api
      .post('/set_payout_threshold', body)
      .then((reply) => {
        const err = bodyError(reply);
        if (err !== null) throw new ApiError('http', err, 400);
        show(`Saved: payouts at ${formatCoins(p.threshold, c.coinUnits, c.symbol)}.`, 'ok');
        resetSign();
        refresh();
      })
      .catch((e: unknown) => show(`Not saved: ${failure(e)}`, 'error'))
      .finally(() => {
        for (const b of buttons) b.disabled = false;
      });
  };

  const renderSign = (p: Prepared): void => {
    dropFile();
    fileUrl = URL.createObjectURL(new Blob([p.toSign], { type: 'text/plain' }));
    const message = h('textarea', {
      id: 'threshold-message',
      readonly: true,
      rows: 4,
      spellcheck: 'false',
      'aria-label': 'Message to sign',
    });
    message.value = p.toSign;
    const copy = h('button', { type: 'button', class: 'button secondary', id: 'threshold-copy' }, 'Copy message');
    copy.addEventListener('click', () => {
      message.select();
      void navigator.clipboard?.writeText(p.toSign).catch(() => undefined);
    });
    const signature = h('input', {
      id: 'threshold-signature',
      name: 'signature',
      type: 'text',
      autocomplete: 'off',
      spellcheck: 'false',
      placeholder: 'SigV2…',
    });
    const saveButton = h('button', { type: 'button', class: 'button', id: 'threshold-save' }, 'Save threshold');
    const buttons: HTMLButtonElement[] = [saveButton];
    const ipButton = p.ipProof
      ? h(
          'button',
          { type: 'button', class: 'button secondary', id: 'threshold-ip-save' },
          'Save without a signature (this computer mines to the address)',
        )
      : null;
    if (ipButton) buttons.push(ipButton);
    saveButton.addEventListener('click', () => save(true, buttons, signature.value.trim()));
    ipButton?.addEventListener('click', () => save(false, buttons, ''));
    replace(
      signBox,
      h('h3', null, `1. Sign this message with the wallet of this address`),
      message,
      h(
        'div',
        { class: 'input-row' },
        copy,
        h(
          'a',
          { class: 'button secondary', id: 'threshold-download', href: fileUrl, download: MESSAGE_FILE },
          `Download ${MESSAGE_FILE}`,
        ),
      ),
      h(
        'p',
        { class: 'help', id: 'threshold-expiry' },
        `Valid until ${formatDateTime(p.expiresAt)}, for this amount and address only, and once. Sign it unchanged.`,
      ),
      h(
        'ul',
        { class: 'help threshold-how' },
        h(
          'li',
          null,
          'monero-wallet-cli: download the message file, open the wallet of this address (',
          h('code', null, 'monero-wallet-cli --wallet-file YOUR_WALLET'),
          ') and run ',
          h('code', { id: 'threshold-cli-command' }, `sign ${MESSAGE_FILE}`),
          ' (with the path of the downloaded file). It prints the signature.',
        ),
        h(
          'li',
          null,
          'Monero GUI: Advanced > Sign/verify, paste the message in "Message", press Sign and copy the signature.',
        ),
        h('li', null, 'Sign with the spend key (the default). A view-only wallet cannot sign for this.'),
      ),
      h('label', { for: 'threshold-signature' }, '2. Paste the signature'),
      h('div', { class: 'input-row' }, signature, saveButton),
      ipButton,
    );
    signBox.hidden = false;
  };

  const form = h(
    'form',
    { class: 'threshold-form', id: 'threshold-form', novalidate: true },
    h('label', { for: 'threshold-input' }, `Pay me when my balance reaches (${c.symbol})`),
    h('div', { class: 'input-row' }, input, getButton),
    h(
      'p',
      { id: 'threshold-help', class: 'help' },
      'Only the owner of this address can change its threshold: the pool gives you a message, you sign it with the wallet of this address and paste the signature here.',
      minText,
    ),
    msg,
    signBox,
  );
  input.addEventListener('input', () => {
    if (prepared !== null) {
      resetSign();
      show('', '');
    }
  });
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const atomic = parseCoins(input.value, c.coinUnits);
    if (atomic === null || atomic <= 0n) {
      show(`Enter an amount in ${c.symbol}, e.g. 0.25.`, 'error');
      input.setAttribute('aria-invalid', 'true');
      return;
    }
    const poolMin = ctx.stats.value?.config.minPaymentThreshold ?? null;
    if (poolMin !== null && atomic < poolMin) {
      show(`The pool's minimum payout is ${formatCoins(poolMin, c.coinUnits, c.symbol)}.`, 'error');
      input.setAttribute('aria-invalid', 'true');
      return;
    }
    input.removeAttribute('aria-invalid');
    getButton.disabled = true;
    resetSign();
    show('Asking the pool for the message…', '');
    ctx.api
      .post('/set_payout_threshold', { address, threshold: atomic.toString(), prepare: true })
      .then((reply) => {
        const err = bodyError(reply);
        if (err !== null) throw new ApiError('http', err, 400);
        const r = reply as Record<string, unknown>;
        if (typeof r['toSign'] !== 'string' || r['toSign'] === '') throw new Error('the pool sent no message to sign');
        prepared = {
          threshold: atomic,
          toSign: r['toSign'],
          expiresAt: Number(r['expiresAt'] ?? 0),
          ipProof: r['ipProof'] === true,
        };
        renderSign(prepared);
        show(`Sign the message below to set payouts at ${formatCoins(atomic, c.coinUnits, c.symbol)}.`, '');
      })
      .catch((e: unknown) => show(`Not saved: ${failure(e)}`, 'error'))
      .finally(() => {
        getButton.disabled = false;
      });
  });
  return {
    form,
    destroy: () => {
      unsub();
      dropFile();
    },
  };
}
