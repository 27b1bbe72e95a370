/**
 * Field builders for the config schema. Every builder carries one "expectation" phrase (what a valid value looks
 * like, e.g. "a positive integer"); every zod issue the field raises uses that phrase as its message, and
 * shared/config/issues.ts turns it into `path: expected <phrase>, got <value>`.
 *
 * Data model: none (pure zod schemas). Money comes out as bigint atomic units.
 */
import { z } from 'zod';

/** zod params making every issue of a schema carry `phrase` as its message. */
export function expect(phrase: string): { errorMap: z.ZodErrorMap } {
  return { errorMap: () => ({ message: phrase }) };
}

export const bool = () => z.boolean(expect('true or false'));

export const str = () => z.string(expect('a non-empty string')).min(1);

/** An integer >= min (and <= max when given). */
export function int(min: number, max?: number, phrase?: string) {
  const text =
    phrase ??
    (max !== undefined
      ? `an integer from ${min} to ${max}`
      : min === 1
        ? 'a positive integer'
        : min === 0
          ? 'a non-negative integer'
          : `an integer >= ${min}`);
  return z
    .number(expect(text))
    .int()
    .min(min)
    .max(max ?? Number.MAX_SAFE_INTEGER);
}

export const posInt = () => int(1);
export const nonNegInt = () => int(0);

/** A finite number > 0 (fractions allowed). */
export const posNumber = () => z.number(expect('a positive number')).positive().finite();

/** A percentage like the seed's (1.8 means 1.8 %). */
export const percent = () => z.number(expect('a percentage from 0 to 100')).min(0).max(100);

/** A TCP port 1..65535; with `allowZero`, 0 (= pick a free port) too. */
export function port(allowZero = false) {
  return allowZero
    ? int(0, 65535, 'a port from 0 to 65535 (0 = pick a free port)')
    : int(1, 65535, 'a port from 1 to 65535');
}

/** A string enum whose error lists the allowed values. */
export function oneOf<const T extends readonly [string, ...string[]]>(values: T) {
  return z.enum(values, expect(`one of ${values.map((v) => JSON.stringify(v)).join(', ')}`));
}

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export const logLevel = () => oneOf(LOG_LEVELS);

const DIGITS = /^[0-9]+$/;

/**
 * Money in atomic units: a JSON integer (up to 2^53-1) or a decimal string of digits; the output is a bigint.
 * Negative values, fractions, exponents and signs are rejected. `positive` also rejects zero.
 */
export function money(positive = false) {
  const what = positive ? 'a positive' : 'a non-negative';
  const phrase = `${what} integer amount in atomic units (a JSON integer or a decimal string)`;
  return z.union([z.number(), z.string()], expect(phrase)).transform((v, ctx): bigint => {
    let out: bigint | undefined;
    if (typeof v === 'number') {
      if (Number.isInteger(v) && !Number.isSafeInteger(v)) {
        ctx.addIssue({
          code: z.ZodIssueCode.custom,
          message: `${phrase}; integers above 2^53-1 lose precision in JSON, write them as a decimal string`,
        });
        return z.NEVER;
      }
      if (Number.isSafeInteger(v)) out = BigInt(v);
    } else if (DIGITS.test(v)) {
      out = BigInt(v);
    }
    if (out === undefined || out < 0n || (positive && out === 0n)) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: phrase });
      return z.NEVER;
    }
    return out;
  });
}

/** A strict object: unknown keys are reported (by path) instead of silently dropped. */
export function section<S extends z.ZodRawShape>(shape: S) {
  return z.object(shape, expect('an object')).strict();
}
