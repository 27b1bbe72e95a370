/*
 * Runtime configuration of the pool website. This file is NOT bundled: it is loaded as-is before the app, so an
 * operator (or the cloud deploy, which overwrites it) can change it without rebuilding. Every field is optional.
 *
 * The seed's website_example variables are still understood when this object is absent:
 *   var api = "http://poolhost:8117"; var coinUnits = 1000000000000; var poolHost = "";
 *   var blockchainExplorer = "https://xmrchain.net/block/{id}"; var transactionExplorer = "..."; var email = "";
 */
window.POOL_CONFIG = {
  /* API address. "" = the same origin as this site (the local pool serves both). No trailing slash. */
  api: '',
  /* Stratum host shown to miners. "" = this site's hostname. */
  poolHost: '',
  /* Atomic units in one coin (1 XMR = 10^12). */
  coinUnits: '1000000000000',
  symbol: 'XMR',
  coinName: 'Monero',
  /* Network of payout addresses, for the in-browser address check: "mainnet" (also regtest), "testnet", "stagenet". */
  network: 'mainnet',
  /* Explorer links; {id} is replaced by the block hash / transaction hash. "" = no links. */
  blockExplorer: 'https://xmrchain.net/block/{id}',
  txExplorer: 'https://xmrchain.net/tx/{id}',
  /* Pool name shown in the header and title. */
  poolName: 'Monero Pool',
  /* Contact address shown in the FAQ; "" hides it. */
  email: '',
  /* Live updates: "poll" re-fetches /stats every refreshSeconds; "longpoll" holds /live_stats open (local pool). */
  liveMode: 'poll',
  refreshSeconds: 10,
};
