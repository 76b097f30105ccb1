/**
 * One health-and-load poll of an edge: the load it reports on /load, or undefined when it does not
 * answer in time. An HTTP tier without /load (a commodity cache standing in for an edge) is
 * judged by /healthz alone and counts as unloaded.
 */
export async function pollEdge(base: string, timeoutMs: number): Promise<number | undefined> {
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    const r = await fetch(`${base}/load`, { signal });
    if (r.status === 404) {
      await r.body?.cancel();
      const h = await fetch(`${base}/healthz`, { signal });
      await h.body?.cancel();
      return h.ok ? 0 : undefined;
    }
    if (!r.ok) {
      await r.body?.cancel();
      return undefined;
    }
    const body = (await r.json()) as { connections?: unknown };
    return typeof body.connections === 'number' && body.connections >= 0 ? body.connections : 0;
  } catch {
    return undefined;
  }
}
