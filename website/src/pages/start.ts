/**
 * Getting started: the pool's ports (from /stats config.ports) and the xmrig generator, which writes the command
 * line and config.json for the visitor's address, worker name and optional fixed difficulty, checking each field
 * in the browser as it is typed.
 */
import { checkAddress } from '../address.js';
import { stratumHost } from '../config.js';
import { h, replace } from '../dom.js';
import { formatInt } from '../format.js';
import type { PoolStats, PortInfo } from '../model.js';
import type { PageContext, PageDef } from '../page.js';
import { notice, section, table, type Column } from '../ui.js';
import { buildXmrig, checkWorkerName, parseFixedDiff, type WorkerStyle } from '../xmrig.js';
import { rememberedAddress } from './lookup.js';

function copyButton(target: () => string, label: string): HTMLButtonElement {
  const btn = h('button', { type: 'button', class: 'button secondary copy' }, label);
  btn.addEventListener('click', () => {
    const done = (ok: boolean): void => {
      btn.textContent = ok ? 'Copied' : 'Select and copy by hand';
      setTimeout(() => (btn.textContent = label), 2000);
    };
    // Both outcomes are handled by `done`; the click handler itself has nothing to wait for.
    if (navigator.clipboard === undefined) done(false);
    else
      void navigator.clipboard.writeText(target()).then(
        () => done(true),
        () => done(false),
      );
  });
  return btn;
}

export const startPage: PageDef = {
  name: 'start',
  title: 'Getting started',
  nav: 'Getting started',
  render(ctx: PageContext) {
    const host = stratumHost(ctx.config);
    let ports: PortInfo[] = [];
    let separator = '+';

    // ---- ports table ----
    const portsBox = h('div', { id: 'ports' }, notice('Loading ports…'));
    const renderPorts = (s: PoolStats): void => {
      ports = s.config.ports;
      separator = s.config.fixedDiffSeparator;
      const columns: Column<PortInfo>[] = [
        { label: 'Port', cell: (p) => h('code', null, String(p.port)), key: 'port' },
        { label: 'Starting difficulty', cell: (p) => formatInt(p.difficulty), numeric: true, key: 'difficulty' },
        { label: 'Description', cell: (p) => p.desc || '—', key: 'desc' },
        { label: 'TLS', cell: (p) => (p.tls ? 'Yes' : 'No'), key: 'tls' },
      ];
      if (ports.some((p) => p.solo))
        columns.push({ label: 'Mode', cell: (p) => (p.solo ? 'Solo' : 'Pool'), key: 'mode' });
      replace(
        portsBox,
        table<PortInfo>(`Stratum ports on ${host}`, columns, ports, 'The pool has no public ports configured.', {
          'data-table': 'ports',
        }),
      );
      renderPortOptions();
      generate();
    };

    // ---- generator form ----
    const addrInput = h('input', {
      id: 'gen-address',
      name: 'address',
      type: 'text',
      autocomplete: 'off',
      spellcheck: 'false',
      autocapitalize: 'off',
      value: rememberedAddress(),
      'aria-describedby': 'gen-address-msg',
      placeholder: 'Your Monero address (4… or 8…)',
    });
    const addrMsg = h('p', { id: 'gen-address-msg', class: 'field-error', 'aria-live': 'polite' });
    const workerInput = h('input', {
      id: 'gen-worker',
      name: 'worker',
      type: 'text',
      autocomplete: 'off',
      spellcheck: 'false',
      value: 'rig1',
      maxlength: 64,
      'aria-describedby': 'gen-worker-msg',
    });
    const workerMsg = h('p', { id: 'gen-worker-msg', class: 'field-error', 'aria-live': 'polite' });
    const styleRigid = h('input', {
      type: 'radio',
      name: 'worker-style',
      id: 'gen-style-rigid',
      value: 'rigid',
      checked: true,
    });
    const styleLogin = h('input', { type: 'radio', name: 'worker-style', id: 'gen-style-login', value: 'login' });
    const diffInput = h('input', {
      id: 'gen-diff',
      name: 'difficulty',
      type: 'text',
      inputmode: 'numeric',
      autocomplete: 'off',
      placeholder: 'variable (recommended)',
      'aria-describedby': 'gen-diff-msg',
    });
    const diffMsg = h('p', { id: 'gen-diff-msg', class: 'field-error', 'aria-live': 'polite' });
    const soloInput = h('input', { type: 'checkbox', id: 'gen-solo', name: 'solo' });
    const portSelect = h('select', { id: 'gen-port', name: 'port' });
    const renderPortOptions = (): void => {
      const prev = portSelect.value;
      replace(
        portSelect,
        ports.map((p) =>
          h(
            'option',
            { value: String(p.port) },
            `${p.port} · diff ${formatInt(p.difficulty)}${p.tls ? ' · TLS' : ''}${p.desc ? ` · ${p.desc}` : ''}`,
          ),
        ),
      );
      if (ports.some((p) => String(p.port) === prev)) portSelect.value = prev;
    };

    const cmdOut = h('code', { id: 'gen-command' });
    const cfgOut = h('code', { id: 'gen-config' });
    const output = h(
      'div',
      { class: 'gen-output', id: 'gen-output', hidden: true },
      h('h3', null, 'Command line'),
      h(
        'p',
        null,
        'Run this in the folder where you unpacked xmrig (on Windows: ',
        h('code', null, 'xmrig.exe'),
        ' with the same arguments).',
      ),
      h('pre', { class: 'code' }, cmdOut),
      copyButton(() => cmdOut.textContent ?? '', 'Copy command'),
      h('h3', null, 'config.json'),
      h(
        'p',
        null,
        'Or save this next to xmrig as ',
        h('code', null, 'config.json'),
        ' and run ',
        h('code', null, './xmrig'),
        ' with no arguments.',
      ),
      h('pre', { class: 'code' }, cfgOut),
      copyButton(() => cfgOut.textContent ?? '', 'Copy config.json'),
    );
    const outputHint = notice('Enter your address to get your xmrig command line.');

    function generate(): void {
      const address = addrInput.value.trim();
      const a = address === '' ? null : checkAddress(address, ctx.config.network);
      addrMsg.textContent = a && !a.ok ? a.message : '';
      toggleInvalid(addrInput, a !== null && !a.ok);
      const w = workerInput.value.trim();
      const wErr = checkWorkerName(w);
      workerMsg.textContent = wErr ?? '';
      toggleInvalid(workerInput, wErr !== null);
      const d = parseFixedDiff(diffInput.value);
      diffMsg.textContent = d.ok ? '' : d.message;
      toggleInvalid(diffInput, !d.ok);
      const port = ports.find((p) => String(p.port) === portSelect.value) ?? ports[0];
      const ready = a !== null && a.ok && wErr === null && d.ok && port !== undefined;
      output.hidden = !ready;
      outputHint.hidden = ready;
      if (!ready) {
        outputHint.textContent =
          port === undefined
            ? "Waiting for the pool's port list…"
            : a === null
              ? 'Enter your address to get your xmrig command line.'
              : 'Fix the fields marked above to get your command line.';
        return;
      }
      const style: WorkerStyle = styleLogin.checked ? 'login' : 'rigid';
      const out = buildXmrig({
        host,
        port: port.port,
        tls: port.tls,
        address,
        worker: w,
        workerStyle: style,
        fixedDiff: d.ok ? d.value : null,
        separator,
        solo: soloInput.checked && !port.solo,
      });
      cmdOut.textContent = out.commandLine;
      cfgOut.textContent = out.configJson;
    }
    for (const el of [addrInput, workerInput, diffInput]) el.addEventListener('input', generate);
    for (const el of [styleRigid, styleLogin, portSelect, soloInput]) el.addEventListener('change', generate);

    const form = h(
      'form',
      { class: 'generator', id: 'generator', novalidate: true, onsubmit: (e: Event) => e.preventDefault() },
      h('div', { class: 'field' }, h('label', { for: 'gen-address' }, 'Wallet address'), addrInput, addrMsg),
      h('div', { class: 'field' }, h('label', { for: 'gen-port' }, 'Port'), portSelect),
      h(
        'div',
        { class: 'field' },
        h('label', { for: 'gen-worker' }, 'Worker name ', h('span', { class: 'optional' }, '(optional)')),
        workerInput,
        workerMsg,
      ),
      h(
        'fieldset',
        { class: 'field' },
        h('legend', null, 'Send the worker name as'),
        h('label', { class: 'radio' }, styleRigid, ' xmrig ', h('code', null, '--rig-id'), ' (recommended)'),
        h('label', { class: 'radio' }, styleLogin, ' part of the login: ', h('code', null, 'address.worker')),
      ),
      h(
        'div',
        { class: 'field' },
        h('label', { for: 'gen-diff' }, 'Fixed difficulty ', h('span', { class: 'optional' }, '(optional)')),
        diffInput,
        h(
          'p',
          { class: 'help' },
          `Leave empty to let the pool tune it. A fixed value is added to the login as address${separator}difficulty.`,
        ),
        diffMsg,
      ),
      h(
        'div',
        { class: 'field' },
        h('label', { class: 'radio' }, soloInput, ' Mine solo'),
        h(
          'p',
          { class: 'help' },
          'Solo: a block you find pays you its whole reward (less the solo fee), but you get nothing until you find one. Adds solo: to the login; ports marked solo are solo already.',
        ),
      ),
    );

    const el = h(
      'div',
      { class: 'page page-start' },
      h('h1', null, 'Getting started'),
      h(
        'ol',
        { class: 'steps' },
        h(
          'li',
          null,
          'Get a Monero wallet address (',
          h(
            'a',
            { href: 'https://www.getmonero.org/downloads/', target: '_blank', rel: 'noopener noreferrer' },
            'official wallets',
          ),
          '). Your payouts go there.',
        ),
        h(
          'li',
          null,
          'Download ',
          h('a', { href: 'https://xmrig.com/download', target: '_blank', rel: 'noopener noreferrer' }, 'xmrig'),
          ' for your system.',
        ),
        h(
          'li',
          null,
          'Fill in the form below and run the command it writes. Your stats appear under ',
          h('a', { href: '#/miner' }, 'My stats'),
          ' within a few minutes.',
        ),
      ),
      section(
        'Ports',
        'ports',
        h(
          'p',
          null,
          'Connect to ',
          h('code', { id: 'pool-host' }, host),
          ' on one of these ports. Pick a starting difficulty near your hashrate × 30; the pool adjusts it either way.',
        ),
        portsBox,
      ),
      section('Your xmrig setup', 'setup', form, outputHint, output),
    );
    const unsub = ctx.stats.subscribe(renderPorts);
    generate();
    return { el, destroy: unsub };
  },
};

function toggleInvalid(el: HTMLElement, invalid: boolean): void {
  if (invalid) el.setAttribute('aria-invalid', 'true');
  else el.removeAttribute('aria-invalid');
}
