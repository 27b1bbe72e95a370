/**
 * Builds the C reference loop native/bench/ref.c into build/bench/randomx-ref (gcc -O2 -pthread ... -lrandomx),
 * when the binary is missing or older than the source. Returns the binary's path. Used by bench/native.ts.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
export const REF_SOURCE = resolve(here, 'ref.c');
export const REF_BINARY = resolve(here, '../../build/bench/randomx-ref');

export function buildRef(): string {
  const fresh = existsSync(REF_BINARY) && statSync(REF_BINARY).mtimeMs >= statSync(REF_SOURCE).mtimeMs;
  if (!fresh) {
    mkdirSync(dirname(REF_BINARY), { recursive: true });
    execFileSync('gcc', ['-O2', '-Wall', '-pthread', REF_SOURCE, '-o', REF_BINARY, '-lrandomx'], { stdio: 'inherit' });
  }
  return REF_BINARY;
}
