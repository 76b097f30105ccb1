import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { startTestServer, getText, until, type TestServer } from '../support/server.js';
import { FFMPEG, testPatternArgs } from '../support/ffmpeg.js';
import { checkLowLatency, checkMediaPlaylist, parseLowLatency, parseMediaPlaylist } from '../support/hls.js';

/** LL-HLS playlists as players see them through the viewer port, checked against the draft's rules. */
describe('LL-HLS playlist conformance (push freshness)', () => {
  let t: TestServer;
  let broadcaster: ChildProcess;
  before(async () => {
    t = await startTestServer({ 'package.freshness': 'push' });
    broadcaster = spawn(FFMPEG, testPatternArgs(`${t.rtmp}/live/ll`, { seconds: 40 }), { stdio: 'ignore' });
    await until(
      'eight segments',
      async () => {
        const r = await getText(`${t.viewer}/live/ll/src/index.m3u8`);
        return r.status === 200 && parseMediaPlaylist(r.text).segments.length >= 8 ? true : undefined;
      },
      30_000,
    );
  });
  after(async () => {
    broadcaster.kill('SIGKILL');
    await t.server.close();
  });

  it('every reload of every rendition follows the rules; numbers never go backwards', async () => {
    const last: Record<string, { msn: number; part: number }> = {};
    const controls = new Set<string>();
    for (let i = 0; i < 16; i++) {
      for (const r of ['src', 'audio']) {
        const text = (await getText(`${t.viewer}/live/ll/${r}/index.m3u8`)).text;
        const p = parseMediaPlaylist(text);
        const ll = parseLowLatency(text);
        assert.deepEqual(checkMediaPlaylist(p), [], `${r}: ${text}`);
        assert.deepEqual(checkLowLatency(p, ll), [], `${r}: ${text}`);
        controls.add(JSON.stringify([ll.serverControl, ll.partTarget, p.targetDuration]));
        // The hint names the part right after the last listed one.
        const lastPart = ll.parts[ll.parts.length - 1]!;
        const expectedHint = lastPart.lastOfSegment
          ? `part-${lastPart.msn + 1}-0.m4s`
          : lastPart.uri.replace(/-(\d+)\.m4s$/, (_m, n: string) => `-${Number(n) + 1}.m4s`);
        assert.equal(ll.preloadHint, expectedHint, `${r} hint`);
        // The other rendition is reported.
        assert.deepEqual(
          ll.reports.map((x) => x.uri),
          [`../${r === 'src' ? 'audio' : 'src'}/index.m3u8`],
        );
        const pos = { msn: p.segments[p.segments.length - 1]!.sequence, part: ll.parts.length };
        const prev = last[r];
        if (prev) assert.ok(pos.msn >= prev.msn, `${r} media sequence went backwards`);
        last[r] = pos;
      }
      await new Promise((res) => setTimeout(res, 250));
    }
    assert.equal(controls.size, 1, 'SERVER-CONTROL, PART-INF and TARGETDURATION identical across renditions');
  });

  it('parts are real fMP4 fragments and a segment is its parts back to back', async () => {
    const text = (await getText(`${t.viewer}/live/ll/src/index.m3u8`)).text;
    const p = parseMediaPlaylist(text);
    const ll = parseLowLatency(text);
    const complete = p.segments[p.segments.length - 1]!;
    const parts = ll.parts.filter((x) => x.msn === complete.sequence);
    assert.ok(parts.length >= 2, 'the last complete segment lists its parts');
    assert.equal(parts[0]!.independent, true, 'a segment starts with an independent part');
    const bodies = await Promise.all(
      parts.map(async (x) =>
        Buffer.from(await (await fetch(`${t.viewer}/live/ll/src/${x.uri}`)).arrayBuffer()),
      ),
    );
    const seg = Buffer.from(await (await fetch(`${t.viewer}/live/ll/src/${complete.uri}`)).arrayBuffer());
    assert.ok(Buffer.concat(bodies).equals(seg));
    for (const b of bodies) assert.equal(b.subarray(4, 8).toString('latin1'), 'moof');
  });
});
