import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The house rules of docs/architecture.md, checked: which folder of src/ may import which, no
 * import cycle between files, and nothing in src/ reaches into test/ or node:test.
 */

const SRC = fileURLToPath(new URL('../../src/', import.meta.url));

/** Folder -> the folders it may import. Anything not listed is an upward or sideways import. */
const MAY_IMPORT: Record<string, string[]> = {
  util: [],
  config: ['util'],
  metrics: ['util'],
  hls: ['util'],
  http: ['util'],
  media: ['util'],
  ingest: ['media', 'config', 'metrics', 'util'],
  transcode: ['media', 'config', 'metrics', 'util'],
  origin: ['hls', 'http', 'config', 'metrics', 'util'],
  // The packager pushes through the origin's push interface (types and the HTTP transport).
  package: ['origin', 'ingest', 'hls', 'media', 'config', 'metrics', 'util'],
  cache: ['hls', 'http', 'config', 'metrics', 'util'],
  player: ['util'],
  loadgen: ['hls', 'http', 'config', 'metrics', 'util'],
  topology: ['cache', 'origin', 'package', 'ingest', 'transcode', 'hls', 'http', 'config', 'metrics', 'util'],
  sim: ['cache', 'hls', 'http', 'config', 'util'],
  cli: [
    'topology',
    'loadgen',
    'sim',
    'cache',
    'origin',
    'package',
    'ingest',
    'transcode',
    'player',
    'hls',
    'http',
    'media',
    'config',
    'metrics',
    'util',
  ],
};

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

const SPEC = /(?:from|import)\s*\(?\s*['"]([^'"]+)['"]/g;
function importsOf(file: string): string[] {
  return [...readFileSync(file, 'utf8').matchAll(SPEC)].map((m) => m[1]!);
}

const files = sources(SRC);
const code = files.filter((f) => !f.endsWith('.test.ts'));

test('every src/ folder is known to the house rules', () => {
  const folders = new Set(
    files.map((f) => relative(SRC, f).split('/')[0]!).filter((d) => !d.endsWith('.ts')),
  );
  for (const d of folders) assert.ok(d in MAY_IMPORT, `src/${d} is missing from MAY_IMPORT (and docs)`);
});

test('imports only point down; src/ never imports test/ or node:test outside tests', () => {
  const bad: string[] = [];
  for (const f of files) {
    const from = relative(SRC, f).split('/')[0]!;
    for (const spec of importsOf(f)) {
      if (spec.startsWith('.')) {
        const target = relative(SRC, normalize(join(dirname(f), spec)));
        if (target.startsWith('..')) bad.push(`${relative(SRC, f)} -> ${spec} (outside src/)`);
        const to = target.split('/')[0]!;
        if (!target.startsWith('..') && to !== from && !MAY_IMPORT[from]?.includes(to)) {
          bad.push(`${relative(SRC, f)} -> ${spec} (${from} may not import ${to})`);
        }
      } else if (spec === 'node:test' && !f.endsWith('.test.ts')) {
        bad.push(`${relative(SRC, f)} imports node:test`);
      }
    }
  }
  assert.deepEqual(bad, []);
});

test('no import cycle between source files', () => {
  const graph = new Map<string, string[]>();
  for (const f of code) {
    graph.set(
      f,
      importsOf(f)
        .filter((s) => s.startsWith('.'))
        .map((s) => normalize(join(dirname(f), s)).replace(/\.js$/, '.ts')),
    );
  }
  const state = new Map<string, 'open' | 'done'>();
  const cycles: string[] = [];
  const visit = (f: string, path: string[]): void => {
    if (state.get(f) === 'done') return;
    if (state.get(f) === 'open') {
      cycles.push([...path.slice(path.indexOf(f)), f].map((p) => relative(SRC, p)).join(' -> '));
      return;
    }
    state.set(f, 'open');
    // Type-only imports vanish at run time but still knot the design, so they count too.
    for (const next of graph.get(f) ?? []) if (graph.has(next)) visit(next, [...path, f]);
    state.set(f, 'done');
  };
  for (const f of graph.keys()) visit(f, []);
  assert.deepEqual(cycles, []);
});
