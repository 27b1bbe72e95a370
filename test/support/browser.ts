/**
 * What every browser test shares: where screenshots go and how Debian's Chromium is started headless here (no
 * sandbox as root, and no background networking: this machine's network is closed, and Chromium's own connections
 * would only be refused).
 */
import { resolve } from 'node:path';

export const SHOTS = resolve('test-artifacts/screenshots');

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
