import { describe, expect, it } from 'vitest';
import { ERRORS, isPoolError } from '../shared/errors.js';
import { parseCliArgs } from '../shared/config/load.js';

describe('parseCliArgs', () => {
  it('accepts the seed spelling', () => {
    expect(parseCliArgs(['-config=config_backup.json', '-module=api'])).toEqual({
      config: 'config_backup.json',
      modules: ['api'],
      rest: [],
    });
  });

  it('takes several names after one --module (`--module pool api stats`), stopping at anything else', () => {
    expect(parseCliArgs(['start', '--config', 'a.json', '--module', 'pool', 'api', 'stats'])).toEqual({
      config: 'a.json',
      modules: ['pool', 'api', 'stats'],
      rest: ['start'],
    });
    expect(parseCliArgs(['start', '--module', 'pool', 'extra', 'api']).rest).toEqual(['start', 'extra', 'api']);
  });

  it('accepts repeated and comma-listed modules, de-duplicated in order', () => {
    expect(
      parseCliArgs(['-module=pool,api', '-module=unlocker', '--module', 'api', '--module=payments, stats']).modules,
    ).toEqual(['pool', 'api', 'unlocker', 'payments', 'stats']);
  });

  it('accepts the GNU spellings and passes everything else through', () => {
    expect(parseCliArgs(['start', '--config', 'a.json', '--verbose', '--module=pool'])).toEqual({
      config: 'a.json',
      modules: ['pool'],
      rest: ['start', '--verbose'],
    });
    expect(parseCliArgs(['--config=b=c.json'])).toEqual({ config: 'b=c.json', modules: [], rest: [] });
    expect(parseCliArgs(['-config', 'x.json']).config).toBe('x.json');
  });

  it('stops at --', () => {
    expect(parseCliArgs(['start', '--', '--config', 'x'])).toEqual({
      modules: [],
      rest: ['start', '--', '--config', 'x'],
    });
  });

  it('no arguments: no config, no modules', () => {
    expect(parseCliArgs([])).toEqual({ modules: [], rest: [] });
  });

  it.each([
    [['--config']],
    [['--config', '--module=api']],
    [['-config=']],
    [['--module=,']],
    [['-config=a.json', '--config', 'b.json']],
  ])('rejects %j with CLI_USAGE', (argv) => {
    let err: unknown;
    try {
      parseCliArgs(argv);
    } catch (e) {
      err = e;
    }
    expect(isPoolError(err, ERRORS.CLI_USAGE)).toBe(true);
  });

  it('the same config twice is fine', () => {
    expect(parseCliArgs(['-config=a.json', '--config', 'a.json']).config).toBe('a.json');
  });
});
