/**
 * HTTP client for the pool API. Every request has a timeout; failures become ApiError with a kind that the
 * pages turn into words: `network` (API unreachable: the stale marker), `http` (the API answered with an error,
 * its message shown as is), `parse` (not JSON).
 *
 * Data model: ApiError {kind, status, message, code}. JSON bodies are returned unparsed into the site's model
 * (see model.ts); this module knows nothing about their shapes.
 */
export type ApiErrorKind = 'network' | 'timeout' | 'http' | 'parse';

export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly kind: ApiErrorKind,
    message: string,
    readonly status = 0,
    /** The API's stable error code (`{error, code}` bodies, e.g. "E_THRESHOLD_BAD_SIGNATURE"); "" when none. */
    readonly code = '',
  ) {
    super(message);
  }
}

export interface RequestOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
  token?: string;
  method?: 'GET' | 'POST';
  body?: unknown;
}

const DEFAULT_TIMEOUT_MS = 15_000;

export class ApiClient {
  constructor(readonly base: string) {}

  url(path: string, query: Record<string, string | number | undefined> = {}): string {
    const qs = Object.entries(query)
      .filter(([, v]) => v !== undefined && v !== '')
      .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`)
      .join('&');
    return `${this.base}${path}${qs ? `?${qs}` : ''}`;
  }

  async get(
    path: string,
    query: Record<string, string | number | undefined> = {},
    opts: RequestOptions = {},
  ): Promise<unknown> {
    return this.request(this.url(path, query), opts);
  }

  async post(path: string, body: unknown, opts: RequestOptions = {}): Promise<unknown> {
    return this.request(this.url(path), { ...opts, method: 'POST', body });
  }

  private async request(url: string, opts: RequestOptions): Promise<unknown> {
    const timeout = new AbortController();
    const timer = setTimeout(() => timeout.abort(), opts.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    const onOuterAbort = (): void => timeout.abort();
    opts.signal?.addEventListener('abort', onOuterAbort, { once: true });
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (opts.token) {
      headers['Authorization'] = `Bearer ${opts.token}`;
      // behind CloudFront the origin's Authorization carries CloudFront's own signature; the API reads this instead
      headers['X-Admin-Token'] = opts.token;
    }
    const bodyText = opts.body === undefined ? null : JSON.stringify(opts.body);
    if (bodyText !== null) {
      headers['Content-Type'] = 'application/json';
      // a Lambda function URL behind CloudFront origin access control needs the body's SHA-256 from the client
      const sha = await sha256Hex(bodyText);
      if (sha !== null) headers['x-amz-content-sha256'] = sha;
    }
    let res: Response;
    try {
      res = await fetch(url, {
        method: opts.method ?? 'GET',
        headers,
        body: bodyText,
        signal: timeout.signal,
        cache: 'no-cache',
      });
    } catch (e) {
      if (opts.signal?.aborted) throw new ApiError('network', 'request cancelled');
      if (timeout.signal.aborted) throw new ApiError('timeout', 'the pool API did not answer in time');
      throw new ApiError('network', `cannot reach the pool API (${e instanceof Error ? e.message : String(e)})`);
    } finally {
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onOuterAbort);
    }
    const text = await res.text().catch(() => '');
    let body: unknown = undefined;
    if (text.trim() !== '') {
      try {
        body = parseJson(text);
      } catch {
        if (res.ok)
          throw new ApiError('parse', `the pool API sent something that is not JSON (HTTP ${res.status})`, res.status);
        body = text;
      }
    }
    if (!res.ok) throw new ApiError('http', errorText(body, res), res.status, errorCode(body));
    return body;
  }
}

/** Hex SHA-256 of a UTF-8 string; null where Web Crypto is unavailable (plain-HTTP pages other than localhost). */
async function sha256Hex(text: string): Promise<string | null> {
  const subtle = globalThis.crypto?.subtle;
  if (subtle === undefined) return null;
  const digest = await subtle.digest('SHA-256', new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * JSON.parse that keeps integers beyond 2^53 exact as bigint (the API writes difficulties and amounts as exact
 * integer literals). Uses the reviver's source text where the browser has it (JSON.parse source text access);
 * elsewhere such numbers stay (rounded) numbers, which only matters past 9007 XMR or a 2^53 difficulty.
 */
export function parseJson(text: string): unknown {
  return JSON.parse(text, function (this: unknown, _key: string, value: unknown, context?: { source?: string }) {
    if (
      typeof value === 'number' &&
      !Number.isSafeInteger(value) &&
      context?.source !== undefined &&
      /^-?\d+$/.test(context.source)
    ) {
      return BigInt(context.source);
    }
    return value;
  } as (this: unknown, key: string, value: unknown) => unknown);
}

/** The `code` of an API error body ({error, code}); "" when there is none. */
function errorCode(body: unknown): string {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return '';
  const code = (body as Record<string, unknown>)['code'];
  return typeof code === 'string' ? code : '';
}

/** The message of an API error body: {error}, {message}, {error:{message}} or plain text. */
function errorText(body: unknown, res: Response): string {
  if (typeof body === 'string' && body.trim() !== '') return body.trim();
  if (typeof body === 'object' && body !== null) {
    const o = body as Record<string, unknown>;
    const e = o['error'];
    if (typeof o['message'] === 'string' && o['message'] !== '') return o['message'];
    if (typeof e === 'string') return e;
    if (typeof e === 'object' && e !== null && typeof (e as Record<string, unknown>)['message'] === 'string') {
      return (e as Record<string, string>)['message'] ?? '';
    }
  }
  return `HTTP ${res.status} ${res.statusText}`.trim();
}

/** A body that is `{error: "..."}` with HTTP 200 (the seed's "not found" for /stats_address). */
export function bodyError(body: unknown): string | null {
  if (typeof body === 'object' && body !== null && !Array.isArray(body)) {
    const e = (body as Record<string, unknown>)['error'];
    if (typeof e === 'string') return e;
  }
  return null;
}
