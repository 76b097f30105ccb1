import { loadConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { CorralError } from '../util/errors.js';
import { flagsToOverrides, type FlagSpec } from './args.js';

/** Flags that steer a command rather than set configuration. */
const COMMAND_FLAGS = ['demo-size', 'demo-name', 'origin', 'metrics-port', 'config'];

/**
 * Every command's configuration: defaults < --config file < CORRAL_* env < flags and --set.
 * `extra` carries overrides a command derived from its own flags (e.g. --listen HOST:PORT).
 */
export function configFrom(
  flags: Map<string, string>,
  spec: Record<string, FlagSpec>,
  env: NodeJS.ProcessEnv,
  extra: Record<string, string | number> = {},
): Config {
  const rest = new Map([...flags].filter(([k]) => !COMMAND_FLAGS.includes(k)));
  for (const k of flags.keys())
    if (!(k in spec) && k !== 'set')
      throw new CorralError('CONFIG_INVALID', `unknown flag --${k} (see --help)`);
  return loadConfig({
    file: flags.get('config'),
    env,
    overrides: { ...extra, ...flagsToOverrides(rest, spec) },
  });
}

export function waitForSignal(): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      process.off('SIGINT', done);
      process.off('SIGTERM', done);
      resolve();
    };
    process.on('SIGINT', done);
    process.on('SIGTERM', done);
  });
}
