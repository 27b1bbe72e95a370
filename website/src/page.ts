/**
 * What a page is: a factory from the shared context to a mounted element plus its clean-up. Pages own their
 * pollers and subscriptions and release them in destroy(), so leaving a page stops its traffic.
 *
 * Data model: PageContext, Page.
 */
import type { ApiClient } from './api.js';
import type { SiteConfig } from './config.js';
import type { Connection } from './live.js';
import type { PoolStats } from './model.js';
import type { Store } from './store.js';

export interface PageContext {
  config: SiteConfig;
  api: ApiClient;
  connection: Connection;
  stats: Store<PoolStats>;
  /** Route parameters after the page name: `#/miner/ADDR` -> ["ADDR"]. */
  params: string[];
  /** Go to another route (replaces history when `replace`). */
  navigate(path: string, replace?: boolean): void;
}

export interface Page {
  el: HTMLElement;
  destroy?(): void;
}

export interface PageDef {
  /** Route name: `#/<name>`; "" is home. */
  name: string;
  title: string;
  /** Shown in the main navigation. */
  nav: string | null;
  render(ctx: PageContext): Page;
}
