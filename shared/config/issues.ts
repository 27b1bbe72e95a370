/**
 * Turns zod issues into operator-readable lines: `path.to.field: expected X, got Y`, or for an unknown key
 * `path.to.key: unknown field (did you mean "x"?)`. Values under secret-looking keys are never echoed.
 *
 * Data model: none (pure functions over zod issues and the raw input object).
 */
import { z } from 'zod';

type Path = readonly (string | number)[];

const SECRET = /pass(word)?|auth|secret|token|key$/i;

export function pathToString(path: Path): string {
  let out = '';
  for (const part of path) out += typeof part === 'number' ? `[${part}]` : out === '' ? part : `.${part}`;
  return out === '' ? '(config root)' : out;
}

function valueAt(input: unknown, path: Path): { found: boolean; value: unknown } {
  let cur: unknown = input;
  for (const part of path) {
    if (cur === null || typeof cur !== 'object' || !Object.prototype.hasOwnProperty.call(cur, part)) {
      return { found: false, value: undefined };
    }
    cur = (cur as Record<string | number, unknown>)[part];
  }
  return { found: true, value: cur };
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  const t = typeof value;
  return t === 'object' ? 'an object' : `a ${t}`;
}

/** A short rendering of a raw config value for an error message. */
export function describeValue(value: unknown, path: Path, found = true): string {
  if (!found || value === undefined) return 'nothing (the field is missing)';
  const last = path[path.length - 1];
  if (typeof last === 'string' && SECRET.test(last) && value !== null) return `${kindOf(value)} (value hidden)`;
  if (value === null || typeof value === 'boolean' || typeof value === 'number' || typeof value === 'bigint') {
    return String(value);
  }
  if (typeof value === 'string') {
    const shown = value.length > 60 ? `${value.slice(0, 57)}...` : value;
    return JSON.stringify(shown);
  }
  if (Array.isArray(value)) return value.length === 0 ? '[]' : `an array of ${value.length}`;
  return kindOf(value);
}

/** The keys an object schema accepts at `path` (walking through defaults, effects, nullables and arrays). */
function knownKeys(schema: z.ZodTypeAny, path: Path): string[] {
  let cur: z.ZodTypeAny | undefined = schema;
  let i = 0;
  while (cur !== undefined) {
    if (cur instanceof z.ZodDefault) cur = cur._def.innerType as z.ZodTypeAny;
    else if (cur instanceof z.ZodEffects) cur = cur.innerType() as z.ZodTypeAny;
    else if (cur instanceof z.ZodNullable || cur instanceof z.ZodOptional) cur = cur.unwrap() as z.ZodTypeAny;
    else if (i === path.length) return cur instanceof z.ZodObject ? Object.keys(cur.shape as object) : [];
    else if (cur instanceof z.ZodArray) {
      cur = cur.element as z.ZodTypeAny;
      i++;
    } else if (cur instanceof z.ZodObject) cur = (cur.shape as Record<string, z.ZodTypeAny>)[String(path[i++])];
    else return [];
  }
  return [];
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j]!;
      row[j] = Math.min(
        row[j]! + 1,
        row[j - 1]! + 1,
        prev + (a[i - 1]!.toLowerCase() === b[j - 1]!.toLowerCase() ? 0 : 1),
      );
      prev = tmp;
    }
  }
  return row[b.length]!;
}

function suggestion(key: string, known: string[]): string {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(key.length / 3)) + 1;
  for (const k of known) {
    const d = editDistance(key, k);
    if (d < bestDistance) {
      best = k;
      bestDistance = d;
    }
  }
  return best === undefined ? 'not a pool setting; check the spelling' : `did you mean "${best}"?`;
}

/** One line per problem, in schema order, without duplicates. */
export function formatIssues(error: z.ZodError, input: unknown, schema: z.ZodTypeAny): string[] {
  const lines: string[] = [];
  for (const issue of error.issues) {
    if (issue.code === z.ZodIssueCode.unrecognized_keys) {
      const known = knownKeys(schema, issue.path);
      for (const key of issue.keys)
        lines.push(`${pathToString([...issue.path, key])}: unknown field (${suggestion(key, known)})`);
      continue;
    }
    const where = pathToString(issue.path);
    const verbatim = issue.code === z.ZodIssueCode.custom && issue.params?.['verbatim'] === true;
    if (verbatim) {
      lines.push(`${where}: ${issue.message}`);
      continue;
    }
    const { found, value } = valueAt(input, issue.path);
    lines.push(`${where}: expected ${issue.message}, got ${describeValue(value, issue.path, found)}`);
  }
  return [...new Set(lines)];
}
