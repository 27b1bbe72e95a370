/**
 * JSON for RPC bodies without precision loss: monerod and monero-wallet-rpc send atomic amounts (uint64) as bare JSON
 * numbers, which `JSON.parse` rounds above 2^53. `parseJson` is a small strict JSON parser (RFC 8259) that returns
 * every integer literal outside the safe range as a `bigint`; every other number is a JS `number`. `stringifyJson`
 * writes `bigint` values as bare integer literals (so a request can carry 18446744073709551615 exactly).
 *
 * Data model: JsonValue = null | boolean | number | bigint | string | JsonValue[] | { [key]: JsonValue }.
 */

export type JsonValue = null | boolean | number | bigint | string | JsonValue[] | { [key: string]: JsonValue };

export class JsonSyntaxError extends Error {
  override readonly name = 'JsonSyntaxError';
  constructor(
    message: string,
    readonly position: number,
  ) {
    super(`${message} at position ${position}`);
  }
}

const WS = new Set([0x20, 0x0a, 0x0d, 0x09]);
// JSON forbids raw control characters inside strings; matching them is this regex's whole purpose.
// eslint-disable-next-line no-control-regex
const CONTROL_CHAR = /[\u0000-\u001f]/;
const NUMBER_RE = /-?(?:0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/y;

/** Parses JSON text; integers beyond Number.MAX_SAFE_INTEGER become bigint. Throws JsonSyntaxError. */
export function parseJson(text: string): JsonValue {
  let i = 0;
  const n = text.length;

  const skipWs = (): void => {
    while (i < n && WS.has(text.charCodeAt(i))) i++;
  };

  const parseString = (): string => {
    const start = i; // text[i] === '"'
    let j = i + 1;
    let escaped = false;
    let end: number;
    for (;;) {
      const q = text.indexOf('"', j);
      if (q < 0) throw new JsonSyntaxError('unterminated string', start);
      const bs = text.slice(j, q).indexOf('\\');
      if (bs < 0) {
        end = q;
        break;
      }
      escaped = true;
      j += bs + 2; // skip the escaped character (it may be a quote)
    }
    const raw = text.slice(start + 1, end);
    if (CONTROL_CHAR.test(raw)) throw new JsonSyntaxError('control character in string', start);
    i = end + 1;
    if (!escaped) return raw;
    try {
      return JSON.parse(text.slice(start, end + 1)) as string;
    } catch {
      throw new JsonSyntaxError('bad escape in string', start);
    }
  };

  const parseNumber = (): number | bigint => {
    NUMBER_RE.lastIndex = i;
    const m = NUMBER_RE.exec(text);
    if (!m || m[0].length === 0) throw new JsonSyntaxError('bad number', i);
    const lit = m[0];
    i += lit.length;
    if (m[1] === undefined && m[2] === undefined) {
      const v = Number(lit);
      return Number.isSafeInteger(v) ? v : BigInt(lit);
    }
    return Number(lit);
  };

  const expectWord = (word: string): void => {
    if (text.startsWith(word, i)) i += word.length;
    else throw new JsonSyntaxError('unexpected token', i);
  };

  const parseValue = (depth: number): JsonValue => {
    if (depth > 512) throw new JsonSyntaxError('nesting too deep', i);
    skipWs();
    if (i >= n) throw new JsonSyntaxError('unexpected end', i);
    const c = text.charCodeAt(i);
    if (c === 0x22) return parseString();
    if (c === 0x7b) {
      i++;
      const obj: { [key: string]: JsonValue } = {};
      skipWs();
      if (text.charCodeAt(i) === 0x7d) {
        i++;
        return obj;
      }
      for (;;) {
        skipWs();
        if (text.charCodeAt(i) !== 0x22) throw new JsonSyntaxError('expected a key', i);
        const key = parseString();
        skipWs();
        if (text.charCodeAt(i) !== 0x3a) throw new JsonSyntaxError("expected ':'", i);
        i++;
        const value = parseValue(depth + 1);
        if (key === '__proto__')
          Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
        else obj[key] = value;
        skipWs();
        const d = text.charCodeAt(i);
        i++;
        if (d === 0x2c) continue;
        if (d === 0x7d) return obj;
        throw new JsonSyntaxError("expected ',' or '}'", i - 1);
      }
    }
    if (c === 0x5b) {
      i++;
      const arr: JsonValue[] = [];
      skipWs();
      if (text.charCodeAt(i) === 0x5d) {
        i++;
        return arr;
      }
      for (;;) {
        arr.push(parseValue(depth + 1));
        skipWs();
        const d = text.charCodeAt(i);
        i++;
        if (d === 0x2c) continue;
        if (d === 0x5d) return arr;
        throw new JsonSyntaxError("expected ',' or ']'", i - 1);
      }
    }
    if (c === 0x74) {
      expectWord('true');
      return true;
    }
    if (c === 0x66) {
      expectWord('false');
      return false;
    }
    if (c === 0x6e) {
      expectWord('null');
      return null;
    }
    return parseNumber();
  };

  const value = parseValue(0);
  skipWs();
  if (i !== n) throw new JsonSyntaxError('trailing characters', i);
  return value;
}

/** JSON.stringify with bigint written as a bare integer literal; undefined object members are omitted. */
export function stringifyJson(value: unknown): string {
  const out: string[] = [];
  const write = (v: unknown): void => {
    if (v === null) out.push('null');
    else if (typeof v === 'bigint') out.push(v.toString());
    else if (typeof v === 'number') {
      if (!Number.isFinite(v)) throw new TypeError('cannot serialize a non-finite number');
      out.push(JSON.stringify(v));
    } else if (typeof v === 'string' || typeof v === 'boolean') out.push(JSON.stringify(v));
    else if (Array.isArray(v)) {
      out.push('[');
      v.forEach((item, k) => {
        if (k > 0) out.push(',');
        write(item === undefined ? null : item);
      });
      out.push(']');
    } else if (typeof v === 'object') {
      out.push('{');
      let first = true;
      for (const [k, item] of Object.entries(v as Record<string, unknown>)) {
        if (item === undefined) continue;
        if (!first) out.push(',');
        first = false;
        out.push(JSON.stringify(k), ':');
        write(item);
      }
      out.push('}');
    } else throw new TypeError(`cannot serialize a ${typeof v}`);
  };
  write(value);
  return out.join('');
}
