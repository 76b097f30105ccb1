import { readFileSync } from 'node:fs';
import { configSchema, type Config } from './schema.js';
import { CorralError } from '../util/errors.js';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Tree = { [k: string]: Json };

const ENV_PREFIX = 'CORRAL_';

/** Keys the schema knows, so that an env variable or flag with a typo fails loudly. */
function knownPaths(): Set<string> {
  const out = new Set<string>();
  const walk = (shape: Record<string, unknown>, prefix: string) => {
    for (const [k, v] of Object.entries(shape)) {
      const path = prefix + k;
      out.add(path);
      const inner = unwrapObject(v);
      if (inner) walk(inner, path + '.');
    }
  };
  walk(configSchema.shape as Record<string, unknown>, '');
  return out;
}

function unwrapObject(schema: unknown): Record<string, unknown> | undefined {
  let s = schema as { shape?: Record<string, unknown>; def?: { innerType?: unknown; in?: unknown } };
  for (let i = 0; i < 5 && s; i++) {
    if (s.shape) return s.shape;
    s = (s.def?.innerType ?? s.def?.in) as typeof s;
  }
  return undefined;
}

/** Env and flag values arrive as text; numbers, booleans and JSON arrays are recognised. */
export function parseScalar(raw: string): Json {
  if (raw === 'true') return true;
  if (raw === 'false') return false;
  if (/^-?\d+(\.\d+)?$/.test(raw)) return Number(raw);
  if (raw.startsWith('[') || raw.startsWith('{')) {
    try {
      return JSON.parse(raw) as Json;
    } catch {
      return raw;
    }
  }
  return raw;
}

export function setPath(tree: Tree, dotted: string, value: Json): void {
  const parts = dotted.split('.');
  let node: Tree = tree;
  for (const p of parts.slice(0, -1)) {
    const next = node[p];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) node[p] = {};
    node = node[p] as Tree;
  }
  node[parts[parts.length - 1]!] = value;
}

function envOverrides(env: NodeJS.ProcessEnv, known: Set<string>): Tree {
  const tree: Tree = {};
  for (const [name, raw] of Object.entries(env)) {
    if (!name.startsWith(ENV_PREFIX) || raw === undefined) continue;
    if (name === 'CORRAL_LOG_LEVEL') {
      tree.logLevel = raw;
      continue;
    }
    const dotted = name
      .slice(ENV_PREFIX.length)
      .split('__')
      .map((seg) => seg.toLowerCase().replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase()))
      .join('.');
    // Keys are camelCase in the schema; match case-insensitively against the known set.
    const match = [...known].find((k) => k.toLowerCase() === dotted.toLowerCase());
    if (!match) throw new CorralError('CONFIG_INVALID', `unknown configuration variable ${name}`);
    setPath(tree, match, parseScalar(raw));
  }
  return tree;
}

function merge(base: Tree, over: Tree): Tree {
  const out: Tree = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    if (v && typeof v === 'object' && !Array.isArray(v) && b && typeof b === 'object' && !Array.isArray(b)) {
      out[k] = merge(b as Tree, v as Tree);
    } else {
      out[k] = v;
    }
  }
  return out;
}

export interface LoadOptions {
  /** JSON configuration file. */
  file?: string;
  env?: NodeJS.ProcessEnv;
  /** Dotted-key overrides from CLI flags, applied last. */
  overrides?: Record<string, Json>;
}

/** Build the effective configuration: defaults < file < env < flags. Throws CONFIG_INVALID. */
export function loadConfig(opts: LoadOptions = {}): Config {
  const known = knownPaths();
  let tree: Tree = {};
  if (opts.file) {
    let text: string;
    try {
      text = readFileSync(opts.file, 'utf8');
    } catch (e) {
      throw new CorralError(
        'CONFIG_INVALID',
        `cannot read config file ${opts.file}: ${(e as Error).message}`,
      );
    }
    try {
      tree = JSON.parse(text) as Tree;
    } catch (e) {
      throw new CorralError(
        'CONFIG_INVALID',
        `config file ${opts.file} is not JSON: ${(e as Error).message}`,
      );
    }
    if (typeof tree !== 'object' || tree === null || Array.isArray(tree)) {
      throw new CorralError('CONFIG_INVALID', `config file ${opts.file} must hold a JSON object`);
    }
  }
  tree = merge(tree, envOverrides(opts.env ?? {}, known));
  const flagTree: Tree = {};
  for (const [k, v] of Object.entries(opts.overrides ?? {})) {
    if (!known.has(k)) throw new CorralError('CONFIG_INVALID', `unknown configuration key ${k}`);
    setPath(flagTree, k, v);
  }
  tree = merge(tree, flagTree);
  const parsed = configSchema.safeParse(tree);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new CorralError('CONFIG_INVALID', `invalid configuration:\n${lines.join('\n')}`);
  }
  return parsed.data;
}
