/**
 * The runtime configuration: `public/config.js` sets `window.POOL_CONFIG` before the app loads (the cloud deploy
 * overwrites that file). The seed's website_example globals (`api`, `coinUnits`, `poolHost`, `blockchainExplorer`,
 * `transactionExplorer`, `email`) are read as a fallback so an operator can bring their old config.js.
 *
 * Data model: SiteConfig (below); resolved once at start-up and frozen.
 */
export type Network = 'mainnet' | 'testnet' | 'stagenet';
export type LiveMode = 'poll' | 'longpoll';

export interface SiteConfig {
  /** API base URL without a trailing slash; "" = same origin. */
  readonly api: string;
  readonly poolHost: string;
  readonly coinUnits: bigint;
  readonly symbol: string;
  readonly coinName: string;
  readonly network: Network;
  readonly blockExplorer: string;
  readonly txExplorer: string;
  readonly poolName: string;
  readonly email: string;
  readonly liveMode: LiveMode;
  readonly refreshSeconds: number;
}

type Raw = Record<string, unknown>;

const DEFAULTS: SiteConfig = {
  api: '',
  poolHost: '',
  coinUnits: 1_000_000_000_000n,
  symbol: 'XMR',
  coinName: 'Monero',
  network: 'mainnet',
  blockExplorer: 'https://xmrchain.net/block/{id}',
  txExplorer: 'https://xmrchain.net/tx/{id}',
  poolName: 'Monero Pool',
  email: '',
  liveMode: 'poll',
  refreshSeconds: 10,
};

function str(v: unknown, fallback: string): string {
  return typeof v === 'string' ? v : fallback;
}

function units(v: unknown, fallback: bigint): bigint {
  if (typeof v === 'bigint' && v > 0n) return v;
  if (typeof v === 'number' && Number.isSafeInteger(v) && v > 0) return BigInt(v);
  if (typeof v === 'string' && /^[1-9][0-9]*$/.test(v)) return BigInt(v);
  // The seed wrote 1000000000000 as a number; 1e12 is still a safe integer, larger values arrive as strings.
  return fallback;
}

/** Resolve the config from the page globals. Exported for tests; the app calls `loadConfig()`. */
export function resolveConfig(globals: Raw): SiteConfig {
  const given = globals['POOL_CONFIG'];
  const raw: Raw =
    typeof given === 'object' && given !== null
      ? (given as Raw)
      : {
          // The seed's website_example/config.js variables.
          api: globals['api'],
          coinUnits: globals['coinUnits'],
          poolHost: globals['poolHost'],
          blockExplorer: globals['blockchainExplorer'],
          txExplorer: globals['transactionExplorer'],
          email: globals['email'],
        };
  const network = raw['network'];
  const refresh = raw['refreshSeconds'];
  const liveMode = raw['liveMode'];
  return Object.freeze({
    api: str(raw['api'], DEFAULTS.api).replace(/\/+$/, ''),
    poolHost: str(raw['poolHost'], DEFAULTS.poolHost),
    coinUnits: units(raw['coinUnits'], DEFAULTS.coinUnits),
    symbol: str(raw['symbol'], DEFAULTS.symbol),
    coinName: str(raw['coinName'], DEFAULTS.coinName),
    network: network === 'testnet' || network === 'stagenet' ? network : 'mainnet',
    blockExplorer: str(raw['blockExplorer'], DEFAULTS.blockExplorer),
    txExplorer: str(raw['txExplorer'], DEFAULTS.txExplorer),
    poolName: str(raw['poolName'], DEFAULTS.poolName),
    email: str(raw['email'], DEFAULTS.email),
    liveMode: liveMode === 'longpoll' ? 'longpoll' : 'poll',
    refreshSeconds:
      typeof refresh === 'number' && Number.isFinite(refresh) && refresh >= 1 ? refresh : DEFAULTS.refreshSeconds,
  });
}

export function loadConfig(): SiteConfig {
  return resolveConfig(window as unknown as Raw);
}

/** The stratum host to show miners. */
export function stratumHost(config: SiteConfig): string {
  return config.poolHost !== '' ? config.poolHost : window.location.hostname || 'localhost';
}

/** Fill an explorer URL template (`{id}`; the seed's `{symbol}` too). "" when no explorer is configured. */
export function explorerUrl(template: string, id: string, symbol: string): string {
  if (template === '' || !/^[0-9a-fA-F]{64}$/.test(id)) return '';
  return template.replaceAll('{id}', id).replaceAll('{symbol}', symbol.toLowerCase());
}
