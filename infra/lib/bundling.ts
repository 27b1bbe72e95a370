/**
 * How the Lambda handlers are bundled (esbuild, run locally by NodejsFunction: no Docker). One definition, used by
 * infra/lib/functions.ts and by test/handlers.test.ts, which runs the very same bundles against real services.
 * ESM output; CommonJS dependencies inside the bundle need `require`, `__filename` and `__dirname`, so a banner
 * defines them. The AWS SDK v3 is provided by the Node.js runtime and stays external.
 */
export const HANDLER_BUNDLING = {
  format: 'esm',
  platform: 'node',
  target: 'node22',
  mainFields: ['module', 'main'],
  minify: true,
  sourcemap: true,
  external: ['@aws-sdk/*'],
  banner: [
    "import { createRequire as __poolCreateRequire } from 'node:module';",
    "import { fileURLToPath as __poolFileURLToPath } from 'node:url';",
    "import { dirname as __poolDirname } from 'node:path';",
    'const require = __poolCreateRequire(import.meta.url);',
    'const __filename = __poolFileURLToPath(import.meta.url);',
    'const __dirname = __poolDirname(__filename);',
  ].join(' '),
} as const;
