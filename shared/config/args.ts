/**
 * Command-line normalizer shared by the `pool` CLI: accepts the seed's spelling (`-config=FILE`, `-module=NAME`)
 * and the GNU one (`--config FILE`, `--config=FILE`, `--module NAME [NAME...]`, `--module=a,b`). Modules repeat and take comma
 * lists; they are trimmed and de-duplicated in first-seen order. Everything else is passed through in `rest`, as is
 * everything after a bare `--`.
 *
 * Data model: CliArgs { config?: string, modules: string[], rest: string[] }.
 */
import { ERRORS, PoolError } from '../errors.js';

export interface CliArgs {
  config?: string;
  modules: string[];
  rest: string[];
}

const OPTION = /^--?(config|module)(?:=(.*))?$/s;
/** Module names, so `--module a b c` can take several values without swallowing other arguments. */
const MODULE_NAMES = new Set(['pool', 'api', 'unlocker', 'payments', 'stats']);

/** Normalise `argv` (process.argv.slice(2)). Throws PoolError CLI_USAGE on a missing or conflicting value. */
export function parseCliArgs(argv: readonly string[]): CliArgs {
  const out: CliArgs = { modules: [], rest: [] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      out.rest.push(...argv.slice(i));
      break;
    }
    const m = OPTION.exec(arg);
    if (m === null) {
      out.rest.push(arg);
      continue;
    }
    const name = m[1] as 'config' | 'module';
    let value = m[2];
    if (value === undefined) {
      const next = argv[i + 1];
      if (next === undefined || next.startsWith('-')) {
        throw new PoolError(ERRORS.CLI_USAGE, `${arg} needs a value (${arg}=VALUE or ${arg} VALUE)`);
      }
      value = next;
      i++;
      // `--module pool api stats` (commander's variadic form): the names that follow, up to the next option
      if (name === 'module') {
        while (i + 1 < argv.length && MODULE_NAMES.has(argv[i + 1]!)) value += `,${argv[++i]!}`;
      }
    }
    if (name === 'config') {
      if (value === '') throw new PoolError(ERRORS.CLI_USAGE, `${arg}: the config file name is empty`);
      if (out.config !== undefined && out.config !== value) {
        throw new PoolError(ERRORS.CLI_USAGE, `config file given twice: "${out.config}" and "${value}"`);
      }
      out.config = value;
    } else {
      const names = value
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== '');
      if (names.length === 0) throw new PoolError(ERRORS.CLI_USAGE, `${arg}: no module name given`);
      for (const n of names) if (!out.modules.includes(n)) out.modules.push(n);
    }
  }
  return out;
}
