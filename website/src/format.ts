/**
 * Number formatting for people. Money is bigint atomic units end to end: amounts are never turned into floats,
 * they are cut (never rounded up) to a sensible number of decimals and the exact value goes in a tooltip.
 *
 * Data model: none (pure functions).
 */

const HASH_UNITS = ['H/s', 'kH/s', 'MH/s', 'GH/s', 'TH/s', 'PH/s', 'EH/s'] as const;

/** 1234567 -> "1.23 MH/s"; three significant digits, SI steps of 1000. */
export function formatHashrate(hps: number): string {
  if (!Number.isFinite(hps) || hps <= 0) return '0 H/s';
  let i = 0;
  let v = hps;
  while (v >= 1000 && i < HASH_UNITS.length - 1) {
    v /= 1000;
    i++;
  }
  return `${i === 0 ? trimFixed(v, v < 10 ? 2 : v < 100 ? 1 : 0) : sig3(v)} ${HASH_UNITS[i]}`;
}

function sig3(v: number): string {
  return v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2);
}

function trimFixed(v: number, digits: number): string {
  return v.toFixed(digits).replace(/\.?0+$/, '');
}

const GROUP = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

/** Integer with thousands separators; accepts number, bigint or a decimal string. */
export function formatInt(v: number | bigint | string): string {
  if (typeof v === 'string') {
    if (!/^-?[0-9]+$/.test(v)) return v;
    v = BigInt(v);
  }
  return GROUP.format(v);
}

const COMPACT_UNITS = ['', 'k', 'M', 'G', 'T', 'P', 'E'] as const;

/** Large counts such as difficulty: 123456789 -> "123.46 M" (exact value belongs in a title). */
export function formatCompact(v: number | bigint): string {
  let n = typeof v === 'bigint' ? Number(v) : v;
  if (!Number.isFinite(n)) return '—';
  let i = 0;
  while (Math.abs(n) >= 1000 && i < COMPACT_UNITS.length - 1) {
    n /= 1000;
    i++;
  }
  return i === 0 ? formatInt(Math.round(n)) : `${n.toFixed(2)} ${COMPACT_UNITS[i]}`;
}

/** Parse an integer given as number / decimal string / bigint into bigint; null when it isn't one. */
export function toBigInt(v: unknown): bigint | null {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number' && Number.isSafeInteger(v)) return BigInt(v);
  if (typeof v === 'string' && /^-?[0-9]+$/.test(v.trim())) return BigInt(v.trim());
  return null;
}

/**
 * All decimals of an atomic amount: 1500000000 with 10^12 units -> "0.0015". Trailing zeros trimmed.
 */
export function coinsExact(atomic: bigint, coinUnits: bigint): string {
  const neg = atomic < 0n;
  const a = neg ? -atomic : atomic;
  const whole = a / coinUnits;
  const decimals = coinUnits.toString().length - 1;
  const frac = (a % coinUnits).toString().padStart(decimals, '0').replace(/0+$/, '');
  return `${neg ? '-' : ''}${whole.toString()}${frac ? `.${frac}` : ''}`;
}

/**
 * A readable amount: big amounts get 4 decimals, small ones 6, dust all of them (never "0.0000" for a non-zero
 * amount). Cut, not rounded, so the screen never shows more than is owed. Thousands separators on the whole part.
 */
export function formatCoins(atomic: bigint, coinUnits: bigint, symbol = ''): string {
  const neg = atomic < 0n;
  const a = neg ? -atomic : atomic;
  const decimals = coinUnits.toString().length - 1;
  const whole = a / coinUnits;
  const fracAll = (a % coinUnits).toString().padStart(decimals, '0');
  let keep = whole >= 1n ? 4 : 6;
  if (whole === 0n && a !== 0n && /^0+$/.test(fracAll.slice(0, keep))) keep = decimals;
  let frac = fracAll.slice(0, Math.min(keep, decimals)).replace(/0+$/, '');
  if (frac.length < 2 && decimals >= 2) frac = frac.padEnd(2, '0');
  const text = `${neg ? '-' : ''}${GROUP.format(whole)}${frac ? `.${frac}` : ''}`;
  return symbol ? `${text} ${symbol}` : text;
}

/** Parse a coin amount typed by a person ("0.25") into atomic units; null if malformed or too precise. */
export function parseCoins(text: string, coinUnits: bigint): bigint | null {
  const m = /^\s*([0-9]+)?(?:\.([0-9]*))?\s*$/.exec(text);
  if (!m || (m[1] === undefined && (m[2] === undefined || m[2] === ''))) return null;
  const decimals = coinUnits.toString().length - 1;
  const frac = m[2] ?? '';
  if (frac.length > decimals) return null;
  return BigInt(m[1] ?? '0') * coinUnits + BigInt(frac.padEnd(decimals, '0') || '0');
}

/** 0.0123 -> "1.2 %"; the argument is a ratio. From 1000 % on: whole numbers with separators ("12,345 %"). */
export function formatPercent(ratio: number, digits = 1): string {
  if (!Number.isFinite(ratio)) return '—';
  const pct = ratio * 100;
  return Math.abs(pct) >= 1000 ? `${GROUP.format(Math.round(pct))} %` : `${pct.toFixed(digits)} %`;
}

/** A seconds count as "3 d 4 h", "5 h 2 min", "4 min 10 s", "12 s". */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return s % 60 ? `${m} min ${s % 60} s` : `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 48) return m % 60 ? `${h} h ${m % 60} min` : `${h} h`;
  const d = Math.floor(h / 24);
  return h % 24 ? `${d} d ${h % 24} h` : `${d} d`;
}

/** Relative time from unix milliseconds: "just now", "42 s ago", "5 min ago", "3 h ago", "2 days ago". */
export function formatAgo(ms: number, now = Date.now()): string {
  if (!Number.isFinite(ms) || ms <= 0) return 'never';
  const s = Math.round((now - ms) / 1000);
  if (s < 0) return 'just now';
  if (s < 5) return 'just now';
  if (s < 60) return `${s} s ago`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ago`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h} h ago`;
  const d = Math.floor(h / 24);
  return `${d} days ago`;
}

/** Absolute local date-time for tooltips: "2025-01-31 14:05:09". */
export function formatDateTime(ms: number): string {
  if (!Number.isFinite(ms) || ms <= 0) return '';
  const d = new Date(ms);
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

/** Shorten a long hex id or address for tables: "4AdUnd…d3iKmV". */
export function shortId(id: string, head = 8, tail = 6): string {
  return id.length <= head + tail + 1 ? id : `${id.slice(0, head)}…${id.slice(-tail)}`;
}

/** Unix time in the API's units to ms: values below 1e11 are seconds (the seed mixes both). */
export function toMs(t: number): number {
  return t > 0 && t < 1e11 ? t * 1000 : t;
}
