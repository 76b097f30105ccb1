import { writeFile } from 'node:fs/promises';
import { cacheControlFor } from '../origin/index.js';
import { defaultOptions, PROFILES, renderSimHtml, resultJson, simulate, summaryText } from '../sim/index.js';
import type { ProfileName, SimTopology } from '../sim/index.js';
import { loadTopology } from '../topology/load.js';
import { CorralError } from '../util/errors.js';
import { numFlag as num, parseArgs, type FlagSpec } from './args.js';
import { flagHelp } from './flags.js';

export const SIMULATE_FLAGS: Record<string, FlagSpec> = {
  seed: { help: 'seed of the pseudo-random generator: the same seed gives the same output (1)' },
  viewers: { help: 'viewers in all (1000); up to 10^9' },
  duration: { help: 'simulated seconds from the first arrival (60)' },
  profile: {
    help: 'ramp (0 -> N over --ramp-s) | step (N at once) | spike (N within 100 ms of a new segment) (ramp)',
  },
  'ramp-s': { help: 'seconds the ramp takes (10)' },
  'slot-ms': {
    help: 'viewers arriving within this many ms at one edge for one rendition form one cohort (10)',
  },
  topology: {
    help: 'a topology file (docs/topology.md): its shields and edges; without it 1 shield, 4 edges',
  },
  json: { help: 'write the full result as JSON to this file (byte-identical for the same flags)' },
  html: { help: 'write the result as one self-contained HTML page with charts to this file' },
};

function fileFlag(flags: Map<string, string>, name: string): string | undefined {
  const v = flags.get(name);
  if (v === 'true' || v === '') throw new CorralError('CONFIG_INVALID', `--${name} needs a file name`);
  return v;
}

/** The shields and edges of a topology file, as the simulator takes them. */
function simTopology(file: string): SimTopology {
  const t = loadTopology(file);
  return {
    source: file,
    shields: t.regions.flatMap((r) =>
      r.shields.map((s) => ({ name: s.name, region: r.name, maxBytes: s.maxBytes })),
    ),
    edges: t.regions.flatMap((r) =>
      r.edges.map((e) => ({ name: e.name, region: r.name, shield: e.shield, maxBytes: e.maxBytes })),
    ),
  };
}

/** `corral simulate ...`; argv starts after the command name. Returns the exit code. */
export async function runSimulateCli(argv: string[]): Promise<number> {
  const { flags } = parseArgs(['simulate', ...argv]);
  if (flags.has('help')) {
    console.log(
      `corral simulate [flags]\n\nA deterministic discrete-event simulation of the cache tiers (the real cache core on a virtual clock).\n\n${flagHelp(SIMULATE_FLAGS)}`,
    );
    return 0;
  }
  for (const k of flags.keys()) {
    if (!(k in SIMULATE_FLAGS)) throw new CorralError('CONFIG_INVALID', `unknown flag --${k} (see --help)`);
  }
  const profile = (flags.get('profile') ?? 'ramp') as ProfileName;
  if (!PROFILES.includes(profile))
    throw new CorralError('CONFIG_INVALID', `--profile must be one of ${PROFILES.join(', ')}`);
  const json = fileFlag(flags, 'json');
  const html = fileFlag(flags, 'html');
  const o = defaultOptions(cacheControlFor);
  o.seed = Math.floor(num(flags, 'seed', 1, 0, 2 ** 32 - 1));
  o.viewers = Math.floor(num(flags, 'viewers', 1000, 1, 1e9));
  o.durationS = num(flags, 'duration', 60, 1, 3600);
  o.profile = profile;
  o.rampS = num(flags, 'ramp-s', 10, 0, 3600);
  o.slotMs = num(flags, 'slot-ms', 10, 0.001, 10_000);
  const topo = flags.get('topology');
  if (topo !== undefined) o.topology = simTopology(topo);
  // Wall time is measured here, outside the simulation, and only printed.
  const t0 = performance.now();
  const { result, stats } = simulate(o);
  const wallMs = performance.now() - t0;
  console.log(summaryText(result, wallMs, stats.events));
  if (json !== undefined) await writeFile(json, resultJson(result));
  if (html !== undefined) await writeFile(html, renderSimHtml(result));
  return 0;
}
