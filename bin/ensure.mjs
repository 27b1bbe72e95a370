#!/usr/bin/env node
// Runs before `npm start` and `npm test` (prestart/pretest): makes a fresh clone runnable with nothing installed
// by hand. Plain Node, no dependencies, so it works before `npm ci`.
//  1. Debian packages the pool starts (monerod, monero-wallet-rpc, librandomx, redis-server; chromium for tests):
//     installed with apt-get when running as root, otherwise the exact command is printed and we stop.
//  2. node_modules (and so the native RandomX addon): `npm ci` when missing or older than package-lock.json.
//  3. The website build (website/dist) for `npm start`, when missing or older than its sources.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { execFileSync, spawnSync } from 'node:child_process';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const forTests = process.argv.includes('--test');
const has = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;

const wanted = [
  ['monerod', 'monero'],
  ['monero-wallet-rpc', 'monero'],
  ['redis-server', 'redis-server'],
  ...(forTests
    ? [
        ['chromium', 'chromium'],
        ['openssl', 'openssl'],
      ]
    : []),
];
const missing = new Set(wanted.filter(([cmd]) => !has(cmd)).map(([, pkg]) => pkg));
if (!existsSync('/usr/include/randomx.h')) missing.add('librandomx-dev');
if (missing.size > 0) {
  const pkgs = [...missing];
  if (process.getuid?.() === 0 && has('apt-get')) {
    console.error(`installing Debian packages: ${pkgs.join(' ')}`);
    execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit' });
    execFileSync('apt-get', ['install', '-y', '-qq', ...pkgs], {
      stdio: 'inherit',
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
  } else {
    console.error(`missing Debian packages; install them with:\n  sudo apt-get install -y ${pkgs.join(' ')}`);
    process.exit(1);
  }
}

const marker = join(root, 'node_modules', '.package-lock.json');
const lock = join(root, 'package-lock.json');
if (
  !existsSync(marker) ||
  !existsSync(join(root, 'build', 'Release', 'randomx.node')) ||
  statSync(marker).mtimeMs < statSync(lock).mtimeMs - 1000
) {
  console.error('installing npm dependencies (npm ci; builds the RandomX addon)');
  execFileSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: root, stdio: 'inherit' });
}

/** Newest modification time of the files below a folder (the addon's and the website's sources). */
function newestMtime(dir) {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

// the addon is older than its sources (a `git pull` that changed native/ without a lockfile change): rebuild it
const addon = join(root, 'build', 'Release', 'randomx.node');
if (
  existsSync(addon) &&
  statSync(addon).mtimeMs <
    Math.max(newestMtime(join(root, 'native', 'src')), statSync(join(root, 'binding.gyp')).mtimeMs) - 1000
) {
  console.error('rebuilding the RandomX addon (native/src changed since it was built)');
  execFileSync('npm', ['run', 'install'], { cwd: root, stdio: 'inherit' });
}

const site = join(root, 'website');
const built = join(site, 'dist', 'index.html');
if (
  !forTests &&
  (!existsSync(built) ||
    statSync(built).mtimeMs < Math.max(newestMtime(join(site, 'src')), statSync(join(site, 'index.html')).mtimeMs))
) {
  console.error('building the website (npm run build)');
  execFileSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
}
