/**
 * Job broadcast (stratum-node/broadcast.ts) in memory: one miner whose job cannot be built does not stop the miners
 * after it; a broadcast overtaken by a newer template stops at its next slice, so no miner gets the older job after
 * the newer one.
 */
import { describe, expect, it } from 'vitest';
import { BROADCAST_SLICE, broadcastJobs, type BroadcastTarget } from '../stratum-node/broadcast.js';
import type { ActiveTemplate } from '../stratum-node/jobs.js';
import type { Miner } from '../stratum-node/miner.js';

interface Target extends BroadcastTarget {
  readonly lines: string[];
}

function targets(n: number): Target[] {
  return Array.from({ length: n }, (_, i) => {
    const lines: string[] = [];
    return {
      miner: { sessionId: String(i) } as unknown as Miner,
      lines,
      send: () => undefined,
      sendRaw: (line: string) => void lines.push(line),
    };
  });
}

const template = (height: number) => ({ height }) as unknown as ActiveTemplate;

describe('job broadcast', () => {
  it('skips a miner whose job cannot be built, keeps the first error, and serves every other miner', async () => {
    const all = targets(7);
    const t = template(10);
    const r = await broadcastJobs(t, all, (m) => {
      if (m.sessionId === '3') throw new Error('no blob');
      return `job ${m.sessionId}\n`;
    });
    expect(r).toMatchObject({ sent: 6, failed: 1, superseded: false });
    expect((r.firstError as Error).message).toBe('no blob');
    expect(all.map((x) => x.lines.length)).toEqual([1, 1, 1, 0, 1, 1, 1]);
  });

  it('stops at the next slice once a newer template is current', async () => {
    const all = targets(BROADCAST_SLICE * 3);
    const old = template(10);
    let current = old;
    const r = await broadcastJobs(
      old,
      all,
      (m) => {
        if (m.sessionId === '5') current = template(11); // a new tip arrives during the first slice
        return `job ${m.sessionId}\n`;
      },
      () => current,
    );
    expect(r).toMatchObject({ sent: BROADCAST_SLICE, failed: 0, superseded: true });
    expect(all.filter((x) => x.lines.length > 0)).toHaveLength(BROADCAST_SLICE);
  });
});
