import { parseScalar } from '../config/load.js';
import { CorralError } from '../util/errors.js';

export interface ParsedArgs {
  command: string;
  /** Flags as given, without the leading dashes. */
  flags: Map<string, string>;
  positional: string[];
}

/** --set may repeat: its values are kept, one per line, where other flags keep their last value. */
const SET_SEPARATOR = '\n';

function put(flags: Map<string, string>, name: string, value: string): void {
  const prev = flags.get(name);
  flags.set(name, name === 'set' && prev !== undefined ? prev + SET_SEPARATOR + value : value);
}

/** `corral CMD --flag value --flag=value --bool`. Unknown flags are rejected by each command. */
export function parseArgs(argv: string[]): ParsedArgs {
  const [command = 'help', ...rest] = argv;
  const flags = new Map<string, string>();
  const positional: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i]!;
    if (!a.startsWith('--')) {
      positional.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    if (eq > 0) {
      put(flags, a.slice(2, eq), a.slice(eq + 1));
    } else if (i + 1 < rest.length && !rest[i + 1]!.startsWith('--')) {
      put(flags, a.slice(2), rest[++i]!);
    } else {
      put(flags, a.slice(2), 'true');
    }
  }
  return { command, flags, positional };
}

export interface FlagSpec {
  /** Dotted configuration key the flag sets, or undefined for command-level flags. */
  key?: string;
  help: string;
}

/** Turn known flags into config overrides; anything unknown is an error, not a silent no-op. */
export function flagsToOverrides(
  flags: Map<string, string>,
  spec: Record<string, FlagSpec>,
): Record<string, ReturnType<typeof parseScalar>> {
  const out: Record<string, ReturnType<typeof parseScalar>> = {};
  for (const [name, raw] of flags) {
    if (name === 'set') {
      for (const one of raw.split(SET_SEPARATOR)) {
        const eq = one.indexOf('=');
        if (eq <= 0) throw new CorralError('CONFIG_INVALID', `--set expects key=value, got "${one}"`);
        out[one.slice(0, eq)] = parseScalar(one.slice(eq + 1));
      }
      continue;
    }
    const s = spec[name];
    if (!s) throw new CorralError('CONFIG_INVALID', `unknown flag --${name} (see --help)`);
    if (s.key) out[s.key] = parseScalar(raw);
  }
  return out;
}

/** "HOST:PORT" or ":PORT" or "PORT". */
export function parseListen(v: string): { host?: string; port: number } {
  const m = /^(?:(\[[^\]]+\]|[^:]*):)?(\d{1,5})$/.exec(v);
  if (!m) throw new CorralError('CONFIG_INVALID', `expected HOST:PORT, got "${v}"`);
  const port = Number(m[2]);
  if (port > 65535) throw new CorralError('CONFIG_INVALID', `port out of range in "${v}"`);
  const host = m[1] ? m[1].replace(/^\[|\]$/g, '') : undefined;
  return host ? { host, port } : { port };
}

/** A numeric flag from parseArgs' map: `dflt` when absent, CONFIG_INVALID outside [min, max]. */
export function numFlag(
  flags: Map<string, string>,
  name: string,
  dflt: number,
  min: number,
  max: number,
): number {
  const raw = flags.get(name);
  const v = raw === undefined ? dflt : Number(raw);
  if (!Number.isFinite(v) || v < min || v > max) {
    throw new CorralError('CONFIG_INVALID', `--${name} must be a number from ${min} to ${max}, got "${raw}"`);
  }
  return v;
}
