/**
 * The pre-serialized job line a broadcast writes (stratum-node/job-message.ts) against the object form the node sent
 * before it (and still sends in login replies, getjob answers and retarget pushes): byte for byte the same line and
 * the same parsed fields and values, for an ordinary template, one with a next seed hash, large heights, nonces and
 * difficulties (8-byte targets), and strings that would need JSON escaping. Also: the job a Miner keeps (id and extra
 * nonce stored as numbers) gives back what was sent, and broadcastJobs hands each target the line.
 */
import { describe, it, expect } from 'vitest';
import { bytesToHex } from '../shared/hex.js';
import { hashingBlob } from '../shared/monero/template.js';
import { targetForDifficulty } from '../shared/monero/difficulty.js';
import { silentLogger } from '../shared/log.js';
import { JobManager, extraNonceBytes, type ActiveTemplate, type RawTemplate } from '../stratum-node/jobs.js';
import { MAX_JOBS, Miner, type StratumJob } from '../stratum-node/miner.js';
import { jobFor, jobLine, jobLineFor, jobParams } from '../stratum-node/job-message.js';
import { broadcastJobs, type BroadcastTarget } from '../stratum-node/broadcast.js';

const MINER = '4AzKEX4gXdJdNeM6dfiBFL7kqund3HYGvMBF3ttsNd9SfzgYB6L7ep1Yg1osYJzLdaKAYSLVh6e6jKnAuzj3bw1oGy9kXCb';
/** A regtest template (miner tx only, reserve size 8) captured from monerod. */
const TEMPLATE_BLOB =
  '10109dcaa7d806418015bb9ae982a1975da7d79277c2705727a56894ba0fb246adaabb1f4632e300000000023d01ff0101808080' +
  'f0ffff07033ae633d7b87ed64318bdf0ec3e9b7466bc73b92f876d8c866e97482847eb3edb322b0169bff811ffb3bdbfb839de' +
  '2a794127670e299482a52c019acc6f28a661b7a10d020800000000000000000000';

interface TemplateCase {
  readonly height: number;
  readonly difficulty: bigint;
  readonly seedHash: string;
  readonly nextSeedHash: string;
}

async function jobManager(c: TemplateCase, nodeId = 7): Promise<JobManager> {
  const raw: RawTemplate = {
    blob: TEMPLATE_BLOB,
    reservedOffset: 126,
    height: c.height,
    difficulty: c.difficulty,
    seedHash: c.seedHash,
    nextSeedHash: c.nextSeedHash,
    prevHash: 'aa'.repeat(32),
    expectedReward: 600_000_000_000n,
  };
  const jobs = new JobManager({
    chain: { tip: () => Promise.resolve({ hash: 'tip', height: c.height - 1 }), template: () => Promise.resolve(raw) },
    poolAddress: MINER,
    nodeId,
    blockRefreshMs: 3_600_000,
    templateRefreshMs: 3_600_000,
    log: silentLogger(),
  });
  await jobs.refresh('tip');
  return jobs;
}

function miner(difficulty: number, fixedDiff = true): Miner {
  return new Miner({
    ip: '127.0.0.1',
    port: 3333,
    login: MINER,
    rig: 'rig',
    solo: false,
    difficulty,
    fixedDiff,
    varDiff: { minDiff: 1, maxDiff: 1e12, targetTime: 30, retargetTime: 60, variancePercent: 30, maxJump: 100 },
    trust: { enabled: false, min: 0, stepDown: 1, threshold: 1, penalty: 1 },
  });
}

/** The job object exactly as miner.ts built it before job-message.ts, from the job the miner kept. */
function oldObjectForm(jobs: JobManager, t: ActiveTemplate, m: Miner): StratumJob {
  const job = m.jobs.at(-1)!;
  return {
    blob: bytesToHex(hashingBlob(t.template, job.extraNonce)),
    job_id: job.id,
    target: targetForDifficulty(job.difficulty).hex,
    algo: 'rx/0',
    height: t.height,
    seed_hash: t.seedHash,
    ...(t.nextSeedHash ? { next_seed_hash: t.nextSeedHash } : {}),
    id: m.sessionId,
  };
}

const SEED = 'c0ffee'.padEnd(64, '0');
const CASES: [string, TemplateCase, number][] = [
  ['an ordinary template', { height: 100, difficulty: 1_000_000n, seedHash: SEED, nextSeedHash: '' }, 5000],
  [
    'a next seed hash',
    { height: 2_000_000, difficulty: 300_000_000_000n, seedHash: SEED, nextSeedHash: 'ab'.repeat(32) },
    120_000,
  ],
  [
    'large height and difficulty (8-byte target)',
    { height: 2 ** 31 + 5, difficulty: 1n << 80n, seedHash: SEED, nextSeedHash: '' },
    2 ** 40,
  ],
  ['strings that need escaping', { height: 1, difficulty: 10n, seedHash: 'a"b\\c\u2028', nextSeedHash: '\n"x' }, 3],
];

describe('job line (broadcast) against the object form', () => {
  for (const [name, c, difficulty] of CASES) {
    it(`${name}: the same bytes and, parsed, the same fields and values`, async () => {
      const jobs = await jobManager(c);
      const t = jobs.current;
      const m = miner(difficulty);
      for (let i = 0; i < 3; i++) {
        const line = jobLineFor(jobs, m, t);
        const old = { jsonrpc: '2.0', method: 'job', params: oldObjectForm(jobs, t, m) };
        expect(line).toBe(JSON.stringify(old) + '\n');
        expect(JSON.parse(line)).toStrictEqual(old);
        expect('next_seed_hash' in old.params).toBe(c.nextSeedHash !== '');
      }
      // the object form (login, getjob, retarget) is the same job object
      const params = jobFor(jobs, m, t);
      expect(params).toStrictEqual(oldObjectForm(jobs, t, m));
    });
  }

  it('large extra nonces and job ids: node id 0xffffffff, the counter at its top, thousands of jobs', async () => {
    const jobs = await jobManager(CASES[0]![1], 0xffff_ffff);
    const t = jobs.current;
    const m = miner(7);
    const job = m.addJob(t, 0xffff_ffff, 0xffff_fffe);
    expect(bytesToHex(job.extraNonce)).toBe('fffffffffffffffe');
    const blob = bytesToHex(hashingBlob(t.template, extraNonceBytes(0xffff_ffff, 0xffff_fffe)));
    const line = jobLine(t, job, blob, m.sessionId);
    expect(JSON.parse(line)).toStrictEqual({ jsonrpc: '2.0', method: 'job', params: oldObjectForm(jobs, t, m) });
    expect(jobParams(t, job, blob, m.sessionId)).toStrictEqual(oldObjectForm(jobs, t, m));
    let last = '';
    for (let i = 0; i < 50_000; i++) last = jobLineFor(jobs, m, t);
    expect(last).toBe(JSON.stringify({ jsonrpc: '2.0', method: 'job', params: oldObjectForm(jobs, t, m) }) + '\n');
  });
});

describe('the jobs a Miner keeps', () => {
  it('keeps the last MAX_JOBS, newest last; finds each by the id it was sent under, and nothing else', async () => {
    const jobs = await jobManager(CASES[0]![1]);
    const t = jobs.current;
    const m = miner(100);
    const sent = Array.from(
      { length: MAX_JOBS + 2 },
      () => JSON.parse(jobLineFor(jobs, m, t)) as { params: StratumJob },
    );
    expect(m.jobs.length).toBe(MAX_JOBS);
    expect(m.jobs.map((j) => j.id)).toEqual(sent.slice(-MAX_JOBS).map((s) => s.params.job_id));
    for (const s of sent.slice(0, 2)) expect(m.findJob(s.params.job_id)).toBeUndefined();
    for (const s of sent.slice(-MAX_JOBS)) {
      const job = m.findJob(s.params.job_id)!;
      expect(job.id).toBe(s.params.job_id);
      // the extra nonce it keeps rebuilds the blob it was sent
      expect(bytesToHex(jobs.blobFor(t, job.extraNonce))).toBe(s.params.blob);
    }
    const id = sent.at(-1)!.params.job_id;
    const salt = id.slice(0, 6);
    const digits = id.slice(6);
    for (const other of [
      salt + '0' + digits,
      salt + digits.toUpperCase() + 'Z',
      'ffffff' + digits,
      salt,
      '',
      `${id} `,
    ]) {
      if (other !== id) expect(m.findJob(other)).toBeUndefined();
    }
  });
});

describe('broadcastJobs', () => {
  it('writes each miner its line (sendRaw), or sends the parsed line to a target without one', async () => {
    const jobs = await jobManager(CASES[1]![1]);
    const t = jobs.current;
    const raw: string[] = [];
    const objects: object[] = [];
    const a = miner(10);
    const b = miner(20);
    const targets: BroadcastTarget[] = [
      { miner: a, send: () => expect.unreachable(), sendRaw: (line) => raw.push(line) },
      { miner: null, send: () => expect.unreachable() },
      { miner: b, send: (msg) => objects.push(msg) },
    ];
    expect(await broadcastJobs(t, targets, (m, tpl) => jobLineFor(jobs, m, tpl))).toMatchObject({ sent: 2, failed: 0 });
    expect(raw).toEqual([JSON.stringify({ jsonrpc: '2.0', method: 'job', params: oldObjectForm(jobs, t, a) }) + '\n']);
    expect(objects).toStrictEqual([{ jsonrpc: '2.0', method: 'job', params: oldObjectForm(jobs, t, b) }]);
  });
});
