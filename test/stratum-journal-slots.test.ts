/**
 * Share journal slots (stratum-node/journal.ts) with real processes: a live owner keeps its slot; a slot whose owner
 * was killed -9 is adopted by the next process; a pid file naming a pid that is alive but is another process (a pid
 * reused after a reboot or by another program: other boot id, or other start time) does not strand the slot; an
 * owner in another pid namespace holds its slot only while its heartbeat is fresh; two processes claiming at once
 * never get the same slot.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { claimJournalSlot } from '../stratum-node/journal-slots.js';

const ROOT = join(import.meta.dirname, '..');
const children: ChildProcess[] = [];
const dirs: string[] = [];

function folder(): string {
  const d = mkdtempSync(join(tmpdir(), 'journal-slots-'));
  dirs.push(d);
  return d;
}

/** Starts a process that claims a slot in `dir`; resolves with it and the journal path it got. */
function claimer(dir: string): Promise<{ proc: ChildProcess; journal: string }> {
  const proc = spawn(process.execPath, ['bin/run-ts.mjs', 'test/support/claim-slot.ts', dir], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(proc);
  return new Promise((resolve, reject) => {
    let out = '';
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) resolve({ proc, journal: out.trim() });
    });
    proc.once('exit', (code) => reject(new Error(`claimer exited ${code}`)));
  });
}

async function kill9(proc: ChildProcess): Promise<void> {
  const exited = new Promise((r) => proc.once('exit', r));
  proc.kill('SIGKILL');
  await exited;
}

afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) await kill9(c);
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('share journal slots', () => {
  it('a live owner keeps its slot; after a kill -9 the next process adopts it', async () => {
    const dir = folder();
    const first = await claimer(dir);
    expect(first.journal).toBe(join(dir, 'shares-0.journal'));
    const mine = claimJournalSlot(dir);
    expect(mine.journalPath).toBe(join(dir, 'shares-1.journal'));
    await kill9(first.proc);
    const next = await claimer(dir);
    expect(next.journal).toBe(join(dir, 'shares-0.journal'));
    mine.release();
    expect(existsSync(join(dir, 'shares-1.pid'))).toBe(false);
  }, 60_000);

  it('a pid file naming a live pid of another process (other start time, other boot) does not hold the slot', async () => {
    const dir = folder();
    const live = await claimer(dir); // a live process with a known pid, in slot 0
    const [pid, boot, ticks] = readFileSync(join(dir, 'shares-0.pid'), 'utf8').trim().split(' ');
    expect(Number(pid)).toBe(live.proc.pid);
    expect(boot).toMatch(/^[0-9a-f-]{36}$/);
    expect(Number(ticks)).toBeGreaterThan(0);
    // slot 1: the same live pid, but it started at another time (the pid was reused)
    writeFileSync(join(dir, 'shares-1.pid'), `${pid} ${boot} ${Number(ticks) + 12345}`);
    // slot 2: the same live pid, written before a reboot
    writeFileSync(join(dir, 'shares-2.pid'), `${pid} 00000000-0000-0000-0000-000000000000 ${ticks}`);
    const a = claimJournalSlot(dir);
    const b = claimJournalSlot(dir);
    expect([a.journalPath, b.journalPath]).toEqual([join(dir, 'shares-1.journal'), join(dir, 'shares-2.journal')]);
    // the real owner still holds slot 0
    expect(readFileSync(join(dir, 'shares-0.pid'), 'utf8').trim().split(' ')[0]).toBe(pid);
    a.release();
    b.release();
  }, 60_000);

  it('processes claiming at once over dead owners never share a slot', async () => {
    const dir = folder();
    // two dead owners, as after a kill -9 of a node with two forks
    for (const n of [0, 1]) writeFileSync(join(dir, `shares-${n}.pid`), `999999999 - -`);
    const claims = await Promise.all([claimer(dir), claimer(dir), claimer(dir), claimer(dir)]);
    const journals = claims.map((c) => c.journal).sort();
    expect(new Set(journals).size).toBe(4);
    expect(journals).toEqual([0, 1, 2, 3].map((n) => join(dir, `shares-${n}.journal`)));
  }, 60_000);

  it('an owner in another pid namespace holds its slot while its heartbeat is fresh; a stale one is adopted', async () => {
    const dir = folder();
    const live = await claimer(dir); // slot 0, for this machine's boot id
    const [, boot] = readFileSync(join(dir, 'shares-0.pid'), 'utf8').trim().split(' ');
    await kill9(live.proc);
    // another container's owner (its pid means nothing here): fresh in slot 0, stale (no heartbeat for a minute) in 1
    writeFileSync(join(dir, 'shares-0.pid'), `1 ${boot} 100 pid:[1]`);
    writeFileSync(join(dir, 'shares-1.pid'), `1 ${boot} 100 pid:[1]`);
    const old = new Date(Date.now() - 60_000);
    utimesSync(join(dir, 'shares-1.pid'), old, old);
    const mine = claimJournalSlot(dir);
    expect(mine.journalPath).toBe(join(dir, 'shares-1.journal'));
    mine.release();
  }, 60_000);
});
