/**
 * The documentation stays true to the code:
 * - docs/config.md documents every field of the config schema (shared/config/schema.ts) with the schema's default,
 *   and documents no field the schema does not have;
 * - no tracked file names a Markdown document that is not in the repository.
 *
 * How docs/config.md is read: each `## \`section\`` / `### \`section.sub\`` heading (or "## Top level") opens the
 * tables below it; a row's Field cell names one or more fields in backticks (relative to the heading, possibly
 * dotted: `files.level` under `logging`; `ports[]` for the elements of an array), its Default cell holds the default
 * as JSON in the first code span (`"monero"`, `1000`, `[]`, `null`), or no code span when there is none ("—",
 * "required") or the field is an object documented in its own section ("see below"). A field may instead be listed
 * in its parent's Type cell (`{cert, key}`, `array of {address, percent}`).
 *
 * Data model: SchemaField {path, hasDefault, defaultValue, isObject}; DocRow {path, type, defaultCell, line}.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join, normalize } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { configSchema } from '../shared/config/schema.js';

const ROOT = join(import.meta.dirname, '..');

interface SchemaField {
  readonly path: string;
  readonly hasDefault: boolean;
  readonly defaultValue: unknown;
  readonly isObject: boolean;
}

interface DocRow {
  readonly path: string;
  readonly type: string;
  readonly defaultCell: string;
  readonly line: number;
}

/** Strips defaults, effects, optional and nullable wrappers; the outermost default is the field's default. */
function unwrap(t: z.ZodTypeAny): { inner: z.ZodTypeAny; hasDefault: boolean; defaultValue: unknown } {
  let hasDefault = false;
  let defaultValue: unknown;
  let cur = t;
  for (;;) {
    if (cur instanceof z.ZodDefault) {
      if (!hasDefault) {
        hasDefault = true;
        defaultValue = (cur._def as { defaultValue: () => unknown }).defaultValue();
      }
      cur = cur._def.innerType as z.ZodTypeAny;
    } else if (cur instanceof z.ZodEffects) {
      cur = cur.innerType() as z.ZodTypeAny;
    } else if (cur instanceof z.ZodOptional || cur instanceof z.ZodNullable) {
      cur = cur.unwrap() as z.ZodTypeAny;
    } else {
      return { inner: cur, hasDefault, defaultValue };
    }
  }
}

/** Every field of the schema, depth first, with array elements as `path[]`. */
function schemaFields(schema: z.ZodTypeAny, prefix = ''): SchemaField[] {
  const out: SchemaField[] = [];
  const root = unwrap(schema).inner;
  if (!(root instanceof z.ZodObject)) return out;
  for (const [key, value] of Object.entries(root.shape as Record<string, z.ZodTypeAny>)) {
    const path = prefix === '' ? key : `${prefix}.${key}`;
    const u = unwrap(value);
    out.push({
      path,
      hasDefault: u.hasDefault,
      defaultValue: u.defaultValue,
      isObject: u.inner instanceof z.ZodObject,
    });
    if (u.inner instanceof z.ZodObject) out.push(...schemaFields(u.inner, path));
    if (u.inner instanceof z.ZodArray) {
      const element = unwrap(u.inner.element as z.ZodTypeAny).inner;
      if (element instanceof z.ZodObject) out.push(...schemaFields(element, `${path}[]`));
    }
  }
  return out;
}

function cells(line: string): string[] {
  return line
    .trim()
    .replace(/^\|/, '')
    .replace(/\|$/, '')
    .split(/(?<!\\)\|/)
    .map((c) => c.trim());
}

/** The field rows of docs/config.md's tables, with full paths. */
function parseConfigDoc(markdown: string): DocRow[] {
  const rows: DocRow[] = [];
  let prefix: string | null = null;
  let columns: { field: number; type: number; def: number } | null = null;
  markdown.split('\n').forEach((line, i) => {
    const heading = /^#{2,4}\s+(.*)$/.exec(line);
    if (heading) {
      const title = heading[1]!;
      const named = /^`([^`]+)`/.exec(title);
      prefix = title.startsWith('Top level') ? '' : named ? named[1]! : null;
      columns = null;
      return;
    }
    if (prefix === null || !line.trimStart().startsWith('|')) return;
    const c = cells(line);
    if (c[0] === 'Field') {
      columns = { field: 0, type: c.indexOf('Type'), def: c.indexOf('Default') };
      return;
    }
    if (columns === null || /^-+$/.test(c[0]!.replace(/[\s:]/g, ''))) return;
    const names = [...c[columns.field]!.matchAll(/`([^`]+)`/g)].map((m) => m[1]!);
    for (const name of names) {
      rows.push({
        path: prefix === '' ? name : `${prefix}.${name}`,
        type: columns.type >= 0 ? (c[columns.type] ?? '') : '',
        defaultCell: columns.def >= 0 ? (c[columns.def] ?? '') : '',
        line: i + 1,
      });
    }
  });
  return rows;
}

/** Integers compare by their decimal text (money defaults are decimal strings in the schema). */
function canonical(v: unknown): string {
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number' && Number.isInteger(v)) return String(v);
  if (typeof v === 'string' && /^\d+$/.test(v)) return v;
  return JSON.stringify(v);
}

const isPlainObject = (v: unknown): boolean => typeof v === 'object' && v !== null && !Array.isArray(v);

/** What docs/config.md gets wrong about the schema, one line per problem. */
function configDocProblems(fields: readonly SchemaField[], rows: readonly DocRow[]): string[] {
  const problems: string[] = [];
  const byPath = new Map(rows.map((r) => [r.path, r]));
  const known = new Set(fields.map((f) => f.path));
  for (const f of fields) {
    const row = byPath.get(f.path);
    if (row === undefined && f.isObject && rows.some((r) => r.path.startsWith(`${f.path}.`))) continue; // its own section
    if (row === undefined) {
      // listed in its parent's Type cell instead, e.g. `tls` {cert, key}, `donations` array of {address, percent}
      const cut = f.path.lastIndexOf('.');
      const name = f.path.slice(cut + 1);
      const parent = cut < 0 ? undefined : byPath.get(f.path.slice(0, cut).replace(/\[\]$/, ''));
      const listed = parent !== undefined && new RegExp(`\\{[^}]*\\b${name}\\b[^}]*\\}`).test(parent.type);
      if (!listed) problems.push(`${f.path}: not documented in docs/config.md`);
      continue;
    }
    if (f.hasDefault && isPlainObject(f.defaultValue)) continue; // an object section: "see below"
    const code = /`([^`]*)`/.exec(row.defaultCell);
    if (!f.hasDefault) {
      if (code)
        problems.push(`${f.path}: docs/config.md:${row.line} gives the default ${code[1]}, the schema has none`);
      continue;
    }
    if (!code) {
      problems.push(
        `${f.path}: docs/config.md:${row.line} gives no default, the schema's is ${canonical(f.defaultValue)}`,
      );
      continue;
    }
    let documented: unknown;
    try {
      documented = JSON.parse(code[1]!);
    } catch {
      problems.push(`${f.path}: docs/config.md:${row.line} default ${code[1]} is not a JSON value`);
      continue;
    }
    if (canonical(documented) !== canonical(f.defaultValue)) {
      problems.push(
        `${f.path}: docs/config.md:${row.line} says the default is ${code[1]}, the schema's is ${canonical(f.defaultValue)}`,
      );
    }
  }
  for (const r of rows) {
    if (!known.has(r.path))
      problems.push(`${r.path}: docs/config.md:${r.line} documents a field the schema does not have`);
  }
  return problems;
}

/** Names of Markdown documents in a text, outside URLs. */
function markdownNames(text: string): string[] {
  const withoutUrls = text.replace(/\b[a-z][a-z0-9+.-]*:\/\/[^\s)'"`>\]]+/gi, ' ');
  return [...withoutUrls.matchAll(/(?<![\w./-])((?:\.{1,2}\/|[\w-]+\/)*[\w.-]*\w\.md)\b/g)].map((m) => m[1]!);
}

/** `file: name` for every Markdown name that resolves to no tracked document. */
function missingDocuments(files: ReadonlyMap<string, string>): string[] {
  const tracked = new Set(files.keys());
  const basenames = new Set([...tracked].map((p) => basename(p)));
  const missing: string[] = [];
  for (const [file, text] of files) {
    for (const name of new Set(markdownNames(text))) {
      const candidates = [normalize(join(dirname(file), name)), normalize(name)];
      const found = candidates.some((c) => tracked.has(c)) || (!name.includes('/') && basenames.has(name));
      if (!found) missing.push(`${file}: ${name}`);
    }
  }
  return missing;
}

function trackedTextFiles(): Map<string, string> {
  const out = new Map<string, string>();
  const list = execFileSync('git', ['ls-files', '-z'], { cwd: ROOT, encoding: 'utf8' }).split('\0').filter(Boolean);
  for (const path of list) {
    const full = join(ROOT, path);
    if (!existsSync(full)) continue; // deleted in the working tree, not yet committed
    const bytes = readFileSync(full);
    if (bytes.subarray(0, 8000).includes(0)) continue; // binary
    out.set(path, bytes.toString('utf8'));
  }
  return out;
}

describe('docs/config.md and the config schema', () => {
  const fields = schemaFields(configSchema);
  const rows = parseConfigDoc(readFileSync(join(ROOT, 'docs', 'config.md'), 'utf8'));

  it('reads the schema and the page (sanity: known fields and defaults are found)', () => {
    const byPath = new Map(fields.map((f) => [f.path, f]));
    expect(byPath.get('payments.minPayment')?.defaultValue).toBe('100000000000');
    expect(byPath.get('poolServer.ports[].port')?.hasDefault).toBe(false);
    expect(byPath.get('logging.files.level')?.defaultValue).toBe('info');
    expect(rows.find((r) => r.path === 'logging.files.level')?.defaultCell).toBe('`"info"`');
    expect(rows.find((r) => r.path === 'poolServer.ports[].difficulty')).toBeDefined();
    expect(rows.length).toBeGreaterThan(100);
  });

  it('documents every schema field with the schema default, and nothing else', () => {
    expect(configDocProblems(fields, rows)).toEqual([]);
  });

  it('catches a missing field, a wrong default, a default the schema lacks and an unknown row', () => {
    const page = [
      '## `payments`',
      '',
      '| Field | Type | Default | What it does |',
      '| --- | --- | --- | --- |',
      '| `interval` | integer | `60` | wrong default |',
      '| `mixin` | integer | `8` | the schema has no default |',
      '| `minPaymnet` | money | `1` | not a field |',
      '| `tls` | `{cert}` or null | `null` | parent row |',
    ].join('\n');
    const problems = configDocProblems(
      [
        { path: 'payments.interval', hasDefault: true, defaultValue: 600, isObject: false },
        { path: 'payments.mixin', hasDefault: false, defaultValue: undefined, isObject: false },
        { path: 'payments.lockTtl', hasDefault: true, defaultValue: 300, isObject: false },
        { path: 'payments.tls', hasDefault: true, defaultValue: null, isObject: true },
        { path: 'payments.tls.cert', hasDefault: false, defaultValue: undefined, isObject: false },
        { path: 'payments.tls.key', hasDefault: false, defaultValue: undefined, isObject: false },
      ],
      parseConfigDoc(page),
    );
    expect(problems).toEqual([
      "payments.interval: docs/config.md:5 says the default is 60, the schema's is 600",
      'payments.mixin: docs/config.md:6 gives the default 8, the schema has none',
      'payments.lockTtl: not documented in docs/config.md',
      'payments.tls.key: not documented in docs/config.md',
      'payments.minPaymnet: docs/config.md:7 documents a field the schema does not have',
    ]);
  });
});

describe('Markdown documents named in the repository', () => {
  it('every *.md a tracked file names is in the repository', () => {
    expect(missingDocuments(trackedTextFiles())).toEqual([]);
  });

  it('resolves names relative to the file, to the root, or by bare name; ignores URLs', () => {
    // Names are built at run time so this file itself names no document (the scan above reads it too).
    const md = (name: string): string => `${name}.${'md'}`;
    const files = new Map([
      [
        `docs/${md('a')}`,
        `see [b](${md('b')}), [c](../${md('c')}), docs/${md('b')}, ${md('CONTRACTS')} and https://example.org/x/${md('GONE')}`,
      ],
      [`docs/${md('b')}`, `back to ${md('a')}`],
      [md('c'), `names docs/${md('GONE')} and ${md('GONE')}`],
      [`x/${md('CONTRACTS')}`, ''],
    ]);
    expect(missingDocuments(files)).toEqual([`${md('c')}: docs/${md('GONE')}`, `${md('c')}: ${md('GONE')}`]);
  });
});
