#!/usr/bin/env node
// The `pool` command. Runs the TypeScript sources directly through tsx's ESM loader,
// so there is no build step between `git clone` and `npm start`.
import { register } from 'tsx/esm/api';

register();
await import('../cli/main.ts');
