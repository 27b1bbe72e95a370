/**
 * Tolerant readers for API values (numbers or decimal strings, seed-style flat [member, score, ...] lists or
 * object rows), used by every parser in this folder.
 */
import { toBigInt } from '../format.js';
import type { BlockStatus, Json } from './types.js';

export function obj(v: unknown): Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : {};
}

export function num(v: unknown, fallback = 0): number {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  return fallback;
}

export function big(v: unknown, fallback = 0n): bigint {
  return toBigInt(v) ?? fallback;
}

/**
 * A hashrate in H/s: a number, or the seed's readable string ("12.34 KH", 1024-based units, as /stats_address
 * sends it for old front-ends).
 */
export function hashrate(v: unknown): number {
  if (typeof v === 'number' || typeof v === 'bigint') return num(v);
  if (typeof v !== 'string') return 0;
  const m = /^\s*([0-9.]+)\s*([KMGTP]?)H?(?:\/s)?\s*$/i.exec(v);
  if (!m) return 0;
  const power = ' KMGTP'.indexOf((m[2] ?? '').toUpperCase() || ' ');
  return Number(m[1]) * 1024 ** Math.max(0, power);
}

export function bigOrNull(v: unknown): bigint | null {
  return toBigInt(v);
}

export function text(v: unknown, fallback = ''): string {
  return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : fallback;
}

export function flag(v: unknown): boolean {
  return v === true || v === 1 || v === '1' || v === 'true';
}

/** Turn a flat Redis-style `[member, score, member, score, ...]` list into pairs; object rows pass through. */
export function rows(list: unknown): Array<{ member: string; score: number } | Json> {
  if (!Array.isArray(list)) return [];
  const out: Array<{ member: string; score: number } | Json> = [];
  for (let i = 0; i < list.length; i++) {
    const item: unknown = list[i];
    if (typeof item === 'string') {
      out.push({ member: item, score: num(list[i + 1]) });
      i++;
    } else if (typeof item === 'object' && item !== null) {
      out.push(item as Json);
    }
  }
  return out;
}

export function isPair(r: { member: string; score: number } | Json): r is { member: string; score: number } {
  return (
    typeof (r as Json)['member'] === 'string' && typeof (r as Json)['score'] === 'number' && Object.keys(r).length === 2
  );
}

// ---- blocks ---------------------------------------------------------------------------------------------------

export function blockStatus(v: unknown, orphanedField: unknown, hasReward: boolean): BlockStatus {
  const s = typeof v === 'string' ? v.toLowerCase() : '';
  if (s === 'orphaned' || s === 'orphan') return 'orphaned';
  if (s === 'unlocked' || s === 'confirmed' || s === 'matured') return 'confirmed';
  if (s === 'candidate' || s === 'pending' || s === 'locked') return 'pending';
  if (orphanedField !== undefined) return flag(orphanedField) ? 'orphaned' : hasReward ? 'confirmed' : 'pending';
  return 'pending';
}

/** Seed member "hash:time:diff:shares" (candidate) or "hash:time:diff:shares:orphaned:reward" (matured). */
