/**
 * The `pool` command (bin/pool.mjs runs this file through tsx). Kept thin: it parses arguments, loads the config
 * once, and calls into start.ts, devnet.ts, invoke.ts and payments-admin.ts.
 *
 *   pool start [--config FILE] [--module pool|api|unlocker|payments|stats ...]   (seed spelling -config=F -module=M too)
 *   pool devnet                                   only the local chain, wallet and Redis
 *   pool invoke NAME [--config FILE] [--dry-run] [--aws --function-name N [--region R]]
 *   pool payments status|resume|resolve [BATCH] [--as sent|release] [--config FILE]
 */
import cluster from 'node:cluster';
import { Command, Option } from 'commander';
import { parseCliArgs } from '../shared/config/args.js';
import { loadConfig, configWarnings } from '../shared/config/load.js';
import { errorMessage, ERRORS, PoolError } from '../shared/errors.js';
import { startModules, selectModules, untilSignal } from './start.js';
import { runDevnetOnly, startWithDevnet } from './devnet-mode.js';
import { invokeLocal, invokeAws, jsonOut } from './invoke.js';
import { paymentsAdmin } from './payments-admin.js';
import { isFunctionName, FUNCTION_NAMES } from './functions.js';

function loadChecked(path: string | undefined) {
  const config = loadConfig(path);
  for (const w of configWarnings(config)) process.stderr.write(`config warning: ${w}\n`);
  return config;
}

/** Turns the seed's `-config=F -module=M` spelling into commander's `--config F --module M`. */
export function normalizeArgv(argv: readonly string[]): string[] {
  const args = parseCliArgs(argv);
  const out = [...args.rest];
  if (args.config !== undefined) out.push('--config', args.config);
  for (const m of args.modules) out.push('--module', m);
  return out;
}

const program = new Command('pool').description('Monero (RandomX) mining pool').showHelpAfterError();

program
  .command('start', { isDefault: true })
  .description('run the pool: every enabled module, or those named; without --config, on the embedded devnet')
  .option('--config <file>', 'config file (JSON with comments)')
  .option('--module <name...>', 'pool | api | unlocker | payments | stats (repeatable)')
  .action(async (opts: { config?: string; module?: string[] }) => {
    if (opts.config === undefined) {
      await startWithDevnet(opts.module ?? []);
      return;
    }
    const config = loadChecked(opts.config);
    const modules = selectModules(config, opts.module ?? []);
    const running = await startModules(config, modules);
    if (cluster.isPrimary) process.stderr.write(`pool running: ${modules.join(', ')} (Ctrl-C to stop)\n`);
    untilSignal(running.stop);
  });

program
  .command('devnet')
  .description('start only the local regtest chain, pool wallet and Redis, and print how to use them')
  .option('--data-dir <dir>', 'data folder (default .data/devnet)')
  .action(async (opts: { dataDir?: string }) => {
    await runDevnetOnly(opts.dataDir);
  });

program
  .command('invoke')
  .description('run one back-office function once and print its JSON result')
  .argument('<function>', FUNCTION_NAMES.join(' | '))
  .option('--config <file>', 'config file (local runs)')
  .option('--dry-run', 'compute and report without writing or paying', false)
  .option('--aws', 'invoke the deployed Lambda instead of running locally', false)
  .option('--function-name <name>', 'the Lambda function name (see the CDK outputs)')
  .option('--region <region>', 'AWS region (default from the environment)')
  .action(
    async (
      name: string,
      opts: { config?: string; dryRun: boolean; aws: boolean; functionName?: string; region?: string },
    ) => {
      if (!isFunctionName(name))
        throw new PoolError(ERRORS.CLI_USAGE, `unknown function "${name}": expected ${FUNCTION_NAMES.join(', ')}`);
      if (opts.aws) {
        if (!opts.functionName)
          throw new PoolError(ERRORS.CLI_USAGE, '--aws needs --function-name NAME (a CDK output)');
        const out = await invokeAws(opts.functionName, opts.region, opts.dryRun);
        process.stdout.write(
          jsonOut({ statusCode: out.statusCode, functionError: out.functionError, result: out.result }) + '\n',
        );
        if (out.logTail) process.stderr.write(`--- log tail ---\n${out.logTail}\n`);
        if (out.functionError) process.exitCode = 1;
        return;
      }
      const result = await invokeLocal(loadChecked(opts.config), name, opts.dryRun);
      process.stdout.write(jsonOut(result) + '\n');
    },
  );

program
  .command('payments')
  .description('inspect and clear a payments fail-stop')
  .addArgument(
    new Command().createArgument('<action>', 'status | resume | resolve').choices(['status', 'resume', 'resolve']),
  )
  .argument('[batch]', 'batch id (resolve)')
  .addOption(
    new Option('--as <outcome>', 'resolve a batch as sent (it is on chain) or release (it never left)').choices([
      'sent',
      'release',
    ]),
  )
  .option('--config <file>', 'config file')
  .action(
    async (
      action: 'status' | 'resume' | 'resolve',
      batch: string | undefined,
      opts: { as?: 'sent' | 'release'; config?: string },
    ) => {
      if (action === 'resolve' && (!batch || !opts.as))
        throw new PoolError(ERRORS.CLI_USAGE, 'resolve needs a BATCH id and --as sent|release');
      const out = await paymentsAdmin(loadChecked(opts.config), action, batch, opts.as);
      process.stdout.write(jsonOut(out) + '\n');
    },
  );

try {
  await program.parseAsync(normalizeArgv(process.argv.slice(2)), { from: 'user' });
} catch (e) {
  process.stderr.write(`pool: ${errorMessage(e)}\n`);
  process.exit(e instanceof PoolError && e.code === ERRORS.CLI_USAGE ? 2 : 1);
}
