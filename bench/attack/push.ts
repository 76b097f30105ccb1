/** Attack 9: a push-token holder tries to store what the packager never produces. */
import { startCorral } from '../lib/corral.js';
import { req, type Ctx, type Row } from './util.js';

const TOKEN = 'bench-token';

export async function pushHtml(ctx: Ctx): Promise<Row> {
  const c = await startCorral(ctx.procs, { args: ['--transcode', 'false', '--push-token', TOKEN] });
  try {
    const page = '<html><script>alert(1)</script></html>';
    const attempts = [
      ['/index.html', 'text/html'],
      ['/live/atk/index.html', 'text/html'],
      ['/live/atk/seg1.m4s', 'text/html'],
      ['/live/atk/evil.js', 'application/javascript'],
    ] as const;
    const results = [];
    for (const [p, type] of attempts) {
      const put = await req(`${c.origin}${p}`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': type },
        body: page,
      });
      const got = await req(`${c.viewer}${p}`);
      // The edge serves its own player page at /index.html: only our bytes coming back count.
      const ours = got.status === 200 && got.body.toString().includes('alert(1)');
      results.push({ path: p, type, put: put.status, servedAtEdge: got.status, ours });
    }
    return {
      name: 'push',
      kind: 'attack',
      what: '9. push-token holder stores non-stream paths / types',
      cases: `${attempts.length} PUTs`,
      outcome: results
        .map(
          (r) =>
            `${r.path} (${r.type}): PUT ${r.put}, edge GET ${r.servedAtEdge}${r.ours ? ' (the pushed bytes)' : ''}`,
        )
        .join('; '),
      goal: 'refused 400, never served',
      pass: results.every((r) => r.put === 400 && !r.ours),
      figures: { results },
    };
  } finally {
    await ctx.procs.stop(c.child);
  }
}
