/**
 * Test hook for kill -9 tests: with PAYMENTS_CRASH_AT=<phase> in the environment the process SIGKILLs itself right
 * after that phase was made durable, exactly as a power cut or OOM kill would stop it. Unset in production.
 */
export type CrashPhase = 'reserved' | 'built' | 'signed' | 'relayed' | 'confirmed';

export function crashPoint(phase: CrashPhase): void {
  if (process.env['PAYMENTS_CRASH_AT'] === phase) process.kill(process.pid, 'SIGKILL');
}
