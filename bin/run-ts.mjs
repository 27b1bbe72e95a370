#!/usr/bin/env node
// Runs one TypeScript entry file (argv[2]) with tsx's loader: `node bin/run-ts.mjs bench/run.ts`.
import { register } from 'tsx/esm/api';
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';

register();
const file = process.argv[2];
if (!file) {
  process.stderr.write('usage: run-ts.mjs FILE.ts [args...]\n');
  process.exit(2);
}
// the entry file becomes argv[1], as if it had been run directly
process.argv.splice(1, 2, resolve(file));
await import(pathToFileURL(resolve(file)).href);
