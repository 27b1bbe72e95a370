/**
 * JSON for API replies, with bigint support: a bigint is written as an exact JSON integer literal (digits, no
 * quotes). Why: the seed's replies carry numbers (network difficulty and reward, admin totals), and its
 * front-ends do arithmetic on them; money and difficulties are bigint here. Up to 2^53 a JS client reads the
 * exact value; above it a JS client rounds (as it did with the seed, which summed with parseInt), while clients
 * with big-number JSON (Python, Go json.Number, jq 1.7) read it exactly. Where the seed sent Redis strings
 * (/stats_address balances, flat block/payment lists) we send strings, so those stay exact everywhere.
 */
export type Json =
  string | number | boolean | null | bigint | undefined | readonly Json[] | { readonly [key: string]: Json };

function write(v: Json, out: string[]): void {
  if (v === null || v === undefined) {
    out.push('null');
  } else if (typeof v === 'bigint') {
    out.push(v.toString());
  } else if (typeof v === 'number') {
    out.push(Number.isFinite(v) ? String(v) : 'null');
  } else if (typeof v === 'string') {
    out.push(JSON.stringify(v));
  } else if (typeof v === 'boolean') {
    out.push(v ? 'true' : 'false');
  } else if (Array.isArray(v)) {
    out.push('[');
    v.forEach((x: Json, i: number) => {
      if (i > 0) out.push(',');
      write(x, out);
    });
    out.push(']');
  } else {
    out.push('{');
    let first = true;
    for (const [k, x] of Object.entries(v)) {
      if (x === undefined) continue; // like JSON.stringify: undefined members are left out
      if (!first) out.push(',');
      first = false;
      out.push(JSON.stringify(k), ':');
      write(x, out);
    }
    out.push('}');
  }
}

/** Serializes `v`; bigint as exact integer literals, undefined object members omitted, non-finite numbers as null. */
export function toJson(v: Json): string {
  const out: string[] = [];
  write(v, out);
  return out.join('');
}
