/**
 * Loading the pool configuration: JSON with comments (jsonc-parser; syntax errors and duplicate keys reported
 * with line:column), optional deep-merged overrides, one validation against shared/config/schema.ts, then a deep
 * freeze. Every problem is listed in one PoolError(CONFIG_INVALID) as `path.to.field: expected X, got Y`.
 * Non-fatal notices (ignored seed fields, capped values, example passwords) are kept per config object and read
 * with configWarnings(config) so the caller can log them once it has a logger.
 *
 * Data model: none persisted. PoolConfig is z.output of configSchema, deep-frozen.
 */
import { readFileSync } from 'node:fs';
import { type Node, type ParseError, parseTree, getNodeValue, printParseErrorCode } from 'jsonc-parser';
import { ERRORS, PoolError } from '../errors.js';
import { formatIssues, pathToString } from './issues.js';
import { MAX_TX_DESTINATIONS, configSchema, type PoolConfig, type PoolConfigInput } from './schema.js';

export { parseCliArgs, type CliArgs } from './args.js';
export { paymentBatchSize, type PoolConfig, type PoolConfigInput } from './schema.js';

/** The seed's default: config.json in the working directory. */
export const DEFAULT_CONFIG_PATH = 'config.json';

type DeepPartial<T> = T extends readonly unknown[] ? T : T extends object ? { [K in keyof T]?: DeepPartial<T[K]> } : T;

/** Values laid over the file before validation; objects merge key by key, arrays and scalars replace. */
export type ConfigOverrides = DeepPartial<PoolConfigInput>;

const warningsOf = new WeakMap<object, readonly string[]>();

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function merge(base: unknown, over: unknown): unknown {
  if (over === undefined) return base;
  if (!isPlainObject(base) || !isPlainObject(over)) return over;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = merge(base[k], v);
  return out;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

function lineColumn(text: string, offset: number): string {
  const before = text.slice(0, offset).split('\n');
  return `${before.length}:${before[before.length - 1]!.length + 1}`;
}

function duplicateKeys(node: Node | undefined, path: (string | number)[], text: string, out: string[]): void {
  if (node === undefined) return;
  if (node.type === 'object') {
    const seen = new Set<string>();
    for (const prop of node.children ?? []) {
      const key = prop.children?.[0];
      if (key === undefined || typeof key.value !== 'string') continue;
      const name = key.value;
      if (seen.has(name)) out.push(`${lineColumn(text, key.offset)}: ${pathToString([...path, name])} is set twice`);
      seen.add(name);
      duplicateKeys(prop.children?.[1], [...path, name], text, out);
    }
  } else if (node.type === 'array') {
    node.children?.forEach((child, i) => duplicateKeys(child, [...path, i], text, out));
  }
}

/** Parse JSON-with-comments text (trailing commas allowed). `source` names the file in messages. */
export function parseConfigText(text: string, source = 'config'): unknown {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const errors: ParseError[] = [];
  const tree = parseTree(body, errors, { allowTrailingComma: true, disallowComments: false });
  const problems = errors.map((e) => `${source}:${lineColumn(body, e.offset)}: ${printParseErrorCode(e.error)}`);
  if (problems.length === 0) {
    const dups: string[] = [];
    duplicateKeys(tree, [], body, dups);
    problems.push(...dups.map((d) => `${source}:${d}`));
  }
  if (tree === undefined && problems.length === 0) problems.push(`${source}: the file is empty`);
  if (problems.length > 0) {
    throw new PoolError(ERRORS.CONFIG_INVALID, `config ${source} is not valid JSON:\n  ${problems.join('\n  ')}`, {
      source,
      problems,
    });
  }
  return getNodeValue(tree!) as unknown;
}

function noticesFor(raw: unknown, c: PoolConfig): string[] {
  const r = isPlainObject(raw) ? raw : {};
  const sub = (o: unknown, k: string): Record<string, unknown> => (isPlainObject(o) && isPlainObject(o[k]) ? o[k] : {});
  const out: string[] = [];
  if (sub(r, 'payments')['mixin'] !== undefined) {
    out.push('payments.mixin is ignored: the wallet fixes the ring size (16)');
  }
  if (sub(sub(r, 'poolServer'), 'slushMining')['blockTime'] !== undefined) {
    out.push('poolServer.slushMining.blockTime is ignored (seed-only field)');
  }
  if (c.payments.maxAddresses > MAX_TX_DESTINATIONS) {
    out.push(
      `payments.maxAddresses ${c.payments.maxAddresses} is capped at ${MAX_TX_DESTINATIONS} payees per transaction`,
    );
  }
  const u = c.blockUnlocker;
  if (u.devDonation > 0 && u.devAddress === null) {
    out.push(`blockUnlocker.devDonation (${u.devDonation} %) is not paid: set blockUnlocker.devAddress to pay it`);
  }
  if (u.coreDevDonation > 0 && u.coreDevAddress === null) {
    out.push(
      `blockUnlocker.coreDevDonation (${u.coreDevDonation} %) is not paid: set blockUnlocker.coreDevAddress to pay it`,
    );
  }
  if (u.depth < 60) out.push(`blockUnlocker.depth ${u.depth} is below Monero's 60-block coinbase lock`);
  if (c.payments.minPayment < c.payments.denomination) {
    out.push('payments.minPayment is below payments.denomination: balances are paid only in whole denominations');
  }
  if (c.api.enabled && c.api.password !== null && ['your_password', 'test', 'password'].includes(c.api.password)) {
    out.push('api.password is still the example value: change it');
  }
  return out;
}

/** Validate a plain object (e.g. built from environment variables) and return the frozen config. */
export function configFromObject(obj: unknown, overrides?: ConfigOverrides, source = 'config'): PoolConfig {
  const raw = merge(obj, overrides);
  const result = configSchema.safeParse(raw);
  if (!result.success) {
    const problems = formatIssues(result.error, raw, configSchema);
    const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
    throw new PoolError(ERRORS.CONFIG_INVALID, `invalid ${source} (${count}):\n  ${problems.join('\n  ')}`, {
      source,
      problems,
    });
  }
  const config = deepFreeze(result.data);
  warningsOf.set(config, Object.freeze(noticesFor(raw, config)));
  return config;
}

/** Read, validate and freeze the config file (default config.json). Throws PoolError CONFIG_UNREADABLE/CONFIG_INVALID. */
export function loadConfig(path: string | undefined, overrides?: ConfigOverrides): PoolConfig {
  const file = path ?? DEFAULT_CONFIG_PATH;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const reason = e instanceof Error ? e.message : String(e);
    throw new PoolError(ERRORS.CONFIG_UNREADABLE, `cannot read config file ${file}: ${reason}`, { file }, { cause: e });
  }
  return configFromObject(parseConfigText(text, file), overrides, `config file ${file}`);
}

/** Notices found while loading `config` (ignored seed fields, capped values...); empty for unknown objects. */
export function configWarnings(config: PoolConfig): readonly string[] {
  return warningsOf.get(config) ?? [];
}
