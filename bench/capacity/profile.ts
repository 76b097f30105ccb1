/**
 * Where a profiled process spent its time: a V8 .cpuprofile (node --cpu-prof) reduced to self time
 * by function and by kind of code (corral's src/, Node's own node: modules, dependencies, GC,
 * native/program), idle samples left out.
 */
import { readFileSync } from 'node:fs';

interface CpuProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

export interface ProfileSummary {
  /** Non-idle samples. */
  samples: number;
  byKind: Array<{ kind: string; share: number }>;
  top: Array<{ fn: string; where: string; share: number }>;
}

function kindOf(url: string, fn: string): string {
  if (fn === '(garbage collector)') return 'GC';
  if (fn === '(program)') return 'native (program)';
  if (url.startsWith('node:')) return 'Node.js (node:)';
  if (url.includes('/node_modules/')) return 'dependencies (node_modules)';
  if (url.includes('/src/')) return "corral's src/";
  if (url === '') return 'native';
  return 'other';
}

function where(url: string, line: number): string {
  if (url === '') return '';
  const short = url.replace(/^file:\/\//, '').replace(/^.*\/(src|node_modules)\//, '$1/');
  return `${short}:${line + 1}`;
}

/**
 * `lastS`: only the samples of the profile's last `lastS` seconds (the loaded window, without the
 * process's start-up); all of them when undefined.
 */
export function summarizeProfile(file: string, topN = 15, lastS?: number): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as {
    nodes: CpuProfileNode[];
    startTime: number;
    endTime: number;
    samples?: number[];
    timeDeltas?: number[];
  };
  if (lastS !== undefined && profile.samples && profile.timeDeltas) {
    const from = profile.endTime - lastS * 1e6;
    const hits = new Map<number, number>();
    let t = profile.startTime;
    profile.samples.forEach((id, i) => {
      t += profile.timeDeltas![i] ?? 0;
      if (t >= from) hits.set(id, (hits.get(id) ?? 0) + 1);
    });
    for (const n of profile.nodes) n.hitCount = hits.get(n.id) ?? 0;
  }
  const byFn = new Map<string, { fn: string; where: string; hits: number }>();
  const byKind = new Map<string, number>();
  let total = 0;
  for (const n of profile.nodes) {
    const hits = n.hitCount ?? 0;
    const { functionName, url, lineNumber } = n.callFrame;
    if (hits === 0 || functionName === '(idle)') continue;
    total += hits;
    const fn = functionName || '(anonymous)';
    const key = `${fn}@${url}:${lineNumber}`;
    const e = byFn.get(key) ?? { fn, where: where(url, lineNumber), hits: 0 };
    e.hits += hits;
    byFn.set(key, e);
    const k = kindOf(url, functionName);
    byKind.set(k, (byKind.get(k) ?? 0) + hits);
  }
  const share = (h: number) => Math.round((h / Math.max(1, total)) * 1000) / 10;
  return {
    samples: total,
    byKind: [...byKind].sort((a, b) => b[1] - a[1]).map(([kind, h]) => ({ kind, share: share(h) })),
    top: [...byFn.values()]
      .sort((a, b) => b.hits - a.hits)
      .slice(0, topN)
      .map((e) => ({ fn: e.fn, where: e.where, share: share(e.hits) })),
  };
}
