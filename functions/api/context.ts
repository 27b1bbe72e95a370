/**
 * What every route module receives: the deps, the key schema, the snapshot source and the fixed public config.
 */
import type { KeySchema } from '../../shared/redis/keys.js';
import type { ApiDeps } from './deps.js';
import type { Json } from './json.js';
import type { SnapshotSource } from './live.js';

export interface ApiContext {
  deps: ApiDeps;
  keys: KeySchema;
  snapshots: SnapshotSource;
  /** The `config` section of /stats (fixed for the process). */
  publicConfig: Json;
  /** How long a long poll waits for a new snapshot before answering with the current one, ms. */
  longPollTimeoutMs: number;
}
