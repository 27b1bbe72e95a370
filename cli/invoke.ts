/**
 * `pool invoke unlocker|payments|stats`: runs one back-office function once and prints its JSON result.
 * Locally it runs in this process under the function's lock (functions.ts). With --aws it calls the deployed Lambda
 * through @aws-sdk/client-lambda (InvokeCommand, RequestResponse, LogType Tail) and prints the function's result
 * and the tail of its log. The Lambda event is {"source":"pool.invoke","dryRun":bool}.
 */
import { LambdaClient, InvokeCommand } from '@aws-sdk/client-lambda';
import { ERRORS, PoolError } from '../shared/errors.js';
import type { PoolConfig } from '../shared/config/schema.js';
import { createContext } from './context.js';
import { runLocked, type FunctionName } from './functions.js';

export function jsonOut(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2);
}

export async function invokeLocal(config: PoolConfig, name: FunctionName, dryRun: boolean): Promise<unknown> {
  const ctx = createContext(config);
  try {
    return await runLocked(ctx, name, { dryRun });
  } finally {
    await ctx.close();
  }
}

export interface AwsInvokeResult {
  readonly statusCode: number | undefined;
  readonly functionError: string | null;
  readonly result: unknown;
  readonly logTail: string;
}

export async function invokeAws(
  functionName: string,
  region: string | undefined,
  dryRun: boolean,
): Promise<AwsInvokeResult> {
  const client = new LambdaClient(region ? { region } : {});
  try {
    const out = await client.send(
      new InvokeCommand({
        FunctionName: functionName,
        InvocationType: 'RequestResponse',
        LogType: 'Tail',
        Payload: new TextEncoder().encode(JSON.stringify({ source: 'pool.invoke', dryRun })),
      }),
    );
    const text = out.Payload ? new TextDecoder().decode(out.Payload) : '';
    let result: unknown = text;
    try {
      result = text ? JSON.parse(text) : null;
    } catch {
      /* a non-JSON payload is printed as is */
    }
    return {
      statusCode: out.StatusCode,
      functionError: out.FunctionError ?? null,
      result,
      logTail: out.LogResult ? Buffer.from(out.LogResult, 'base64').toString('utf8') : '',
    };
  } catch (e) {
    throw new PoolError(
      ERRORS.RPC_ERROR,
      `Lambda invoke of ${functionName} failed: ${e instanceof Error ? e.message : String(e)}`,
      { functionName },
      { cause: e },
    );
  } finally {
    client.destroy();
  }
}
