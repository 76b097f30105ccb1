import { readFileSync } from 'node:fs';
import { LineCounter, parseDocument } from 'yaml';
import { CorralError } from '../util/errors.js';
import { checkTopology, type Problem } from './check.js';
import { topologySchema, type Topology } from './schema.js';

const MAX_TOPOLOGY_CHARS = 1 << 20;

export type TopologyResult = { ok: true; topology: Topology } | { ok: false; problems: Problem[] };

/** YAML text -> a checked topology, or every problem found, each with its path in the file. */
export function parseTopology(text: string): TopologyResult {
  // A topology is a page of YAML; anything near this size is a mistake or an attack.
  if (text.length > MAX_TOPOLOGY_CHARS) {
    return {
      ok: false,
      problems: [{ path: '(file)', message: `larger than ${MAX_TOPOLOGY_CHARS} characters` }],
    };
  }
  const lines = new LineCounter();
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: false, lineCounter: lines });
  if (doc.errors.length > 0)
    return {
      ok: false,
      problems: doc.errors.map((e) => ({
        path: `(yaml line ${lines.linePos(e.pos[0]).line})`,
        message: e.message,
      })),
    };
  let tree: unknown;
  try {
    // maxAliasCount bounds alias expansion (a "billion laughs" file); an alias to nothing throws.
    tree = doc.toJS({ maxAliasCount: 100 }) ?? {};
  } catch (e) {
    return { ok: false, problems: [{ path: '(yaml)', message: (e as Error).message }] };
  }
  const parsed = topologySchema.safeParse(tree);
  if (!parsed.success)
    return {
      ok: false,
      problems: parsed.error.issues.map((i) => ({ path: i.path.join('.') || '(root)', message: i.message })),
    };
  const problems = checkTopology(parsed.data);
  return problems.length > 0 ? { ok: false, problems } : { ok: true, topology: parsed.data };
}

/** Read and check a topology file; fails fast with every problem listed, like the configuration. */
export function loadTopology(file: string): Topology {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new CorralError('CONFIG_INVALID', `cannot read topology ${file}: ${(e as Error).message}`);
  }
  const r = parseTopology(text);
  if (r.ok) return r.topology;
  const lines = r.problems.map((p) => `  ${p.path}: ${p.message}`);
  throw new CorralError('CONFIG_INVALID', `invalid topology ${file}:\n${lines.join('\n')}`);
}
