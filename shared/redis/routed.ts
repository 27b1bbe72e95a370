/**
 * Keyless commands (INFO, SCAN, WAIT, WAITAOF) aimed at the node that holds the pool's data.
 *
 * On one server that is the server. On a Redis Cluster a command without keys goes to an arbitrary node, where INFO
 * describes the wrong primary, SCAN lists another node's keys and WAIT/WAITAOF wait for writes that were never made
 * there. Every pool key carries the `{coin}` hash tag (shared/redis/keys.ts), so all the pool's data sits in one slot;
 * a cluster client sends a pipeline whole to the node owning its keys' slot (ioredis `Cluster`: the slot of the
 * pipeline's keyed commands). So the keyless command is pipelined behind a keyed read of that slot (`EXISTS key`),
 * and both run on the owning primary. Upstash REST: one pipeline request, same result.
 *
 * Data model: none.
 */
import type { Storage, StorageReply } from '../storage/port.js';

/** Runs `args` (a keyless command) on the node that owns `slotKey`'s hash slot; returns its reply. */
export async function commandOnSlot(storage: Storage, slotKey: string, args: readonly string[]): Promise<StorageReply> {
  const replies = await storage.pipeline([['EXISTS', slotKey], args]);
  return replies[1] ?? null;
}
