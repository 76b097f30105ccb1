import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestServer, getText, until, type TestServer } from '../support/server.js';
import { runCorral } from '../support/cli.js';
import { FFMPEG, testPatternArgs } from '../support/ffmpeg.js';
import { runLoadtest, summaryText, type Report } from '../../src/loadgen/index.js';
import { parseMediaPlaylist } from '../../src/hls/index.js';

const VIEWERS = 50;
const SECONDS = 10;

/**
 * The load generator against a real `corral start` (in-process, kernel ports) fed by an ffmpeg
 * test pattern: 50 viewers, half LL-HLS, all at once, for ten seconds on two worker threads.
 */
describe('corral loadtest against corral start', () => {
  let t: TestServer;
  let broadcaster: ChildProcess;
  let report: Report;
  let urls: { edge: string; shield: string; origin: string };

  before(async () => {
    t = await startTestServer({ 'package.freshness': 'push' });
    broadcaster = spawn(FFMPEG, testPatternArgs(`${t.rtmp}/live/lt`, { seconds: 60, videoKbps: 300 }), {
      stdio: 'ignore',
    });
    await until(
      'four segments',
      async () => {
        const r = await getText(`${t.viewer}/live/lt/src/index.m3u8`);
        return r.status === 200 && parseMediaPlaylist(r.text).segments.length >= 4 ? true : undefined;
      },
      30_000,
    );
    const s = t.server;
    urls = {
      edge: `${t.viewer}/metrics`,
      shield: `http://127.0.0.1:${s.shield!.port}/metrics`,
      origin: `http://127.0.0.1:${s.origin.port}/metrics`,
    };
    report = await runLoadtest({
      url: `${t.viewer}/live/lt/index.m3u8`,
      viewers: VIEWERS,
      profile: 'step',
      rampS: 0,
      durationS: SECONDS,
      llShare: 0.5,
      threads: 2,
      abr: true,
      startS: 1,
      metrics: [urls.edge, urls.shield, urls.origin],
    });
    if (process.env.CORRAL_TEST_LOG) console.log(summaryText(report));
  });
  after(async () => {
    broadcaster?.kill('SIGKILL');
    await t?.server.close();
  });

  it('every viewer started playing, half of them LL, and no media fetch failed', () => {
    assert.equal(report.viewers.arrived, VIEWERS);
    assert.equal(report.viewers.ll, VIEWERS / 2);
    assert.equal(report.viewers.failed, 0, JSON.stringify(report.viewers.failures));
    assert.equal(report.viewers.startedPlaying, VIEWERS);
    for (const k of ['segment', 'part', 'init', 'multivariant', 'playlist', 'blocking'] as const) {
      assert.equal(report.requests.byKind[k].failed, 0, `${k}: ${JSON.stringify(report.requests.errors)}`);
    }
    assert.equal(report.playback.failedMedia, 0);
  });

  it('request counts are positive and agree with the segments that appeared', () => {
    const q = report.requests;
    for (const k of ['multivariant', 'playlist', 'blocking', 'init', 'segment', 'part', 'hint'] as const) {
      assert.ok(q.byKind[k].count > 0, `${k} requests`);
    }
    assert.equal(q.byKind.multivariant.count, VIEWERS);
    assert.ok(q.bytes > 0);
    // One rendition (no transcoding): its media playlist is the only one followed.
    assert.equal(report.stream.length, 1, JSON.stringify(report.stream));
    const segments = report.stream[0]!.segments;
    assert.ok(segments >= SECONDS - 3, `segments seen ${segments}`);
    // A plain viewer takes the three segments before the live edge, then each new one, and never
    // skips one. `segments` runs from the earliest first read to the latest read of any viewer: a
    // plain viewer whose first read came just after a segment boundary starts one later, and one
    // reloading once per target duration ends up to two behind an LL viewer's last blocking reload.
    // A segment still in flight when the run stops is not counted, so each may end one short more.
    const plain = VIEWERS / 2;
    const p = report.playback;
    assert.equal(p.skippedSegments, 0);
    assert.ok(p.plainSegments <= plain * (segments + 3), `plain segments ${p.plainSegments} for ${segments}`);
    assert.ok(p.plainSegments >= plain * (segments - 1), `plain segments ${p.plainSegments} for ${segments}`);
    // An LL viewer takes one whole segment, then every part (three per 1 s segment) as it appears.
    const ll = VIEWERS / 2;
    assert.equal(p.llSegments, ll);
    assert.ok(p.llParts <= ll * 3 * (segments + 1), `LL parts ${p.llParts} for ${segments}`);
    assert.ok(p.llParts >= ll * 3 * (segments - 2), `LL parts ${p.llParts} for ${segments}`);
    assert.equal(q.byKind.segment.count, p.plainSegments + p.llSegments);
  });

  it('the edge fetched each segment and part at most once, and the origin saw only that', () => {
    assert.ok(report.edge.mediaObjects > 0);
    assert.equal(report.edge.maxFetchesPerObject, 1, 'edge upstream fetches per media object');
    const tier = (name: string) => report.tiers.find((x) => x.tier === name);
    const edge = tier('edge');
    const shield = tier('shield');
    assert.ok(edge !== undefined && shield !== undefined, JSON.stringify(report.tiers));
    assert.ok(edge.requests >= q(report), 'the edge counted every viewer request');
    assert.ok(edge.hitRatio !== null && edge.hitRatio > 0.5, `edge hit ratio ${edge.hitRatio}`);
    // Every origin GET came through the shield, and the shield asked only for what the edge asked.
    assert.ok(report.origin !== null);
    assert.ok(shield.upstreamFetches <= edge.upstreamFetches, 'shield -> origin <= edge -> shield');
    // A fetch whose pooled socket closed unanswered goes out once more (counted by the shield). The
    // report takes its own /metrics scrapes off the origin's count and scrapes once all is quiet.
    const sent = shield.upstreamFetches + (shield.upstreamRetries ?? 0);
    assert.ok(
      report.origin.getRequests <= sent,
      `origin GETs ${report.origin.getRequests} <= shield sent ${sent}`,
    );
    // /metrics carry no path, so per object the X-Cache check above is the proof; in total the origin
    // saw at most one GET per distinct object (media, blocking-reload version) or plain playlist poll.
    assert.ok(
      report.origin.getRequests <= report.distinctObjects + report.requests.byKind.playlist.count,
      `origin GETs ${report.origin.getRequests}`,
    );
    assert.ok(report.origin.perSegmentPerRendition !== null);
  });

  // As bench/capacity runs it: its own process, no --metrics. A settle wait on an unref'd timer
  // once let it exit 13 (top-level await unsettled) before any viewer started.
  it('corral loadtest as a command, without --metrics, runs its viewers and writes the report', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'corral-lt-'));
    try {
      const json = join(dir, 'r.json');
      const r = await runCorral([
        ...['loadtest', '--url', `${t.viewer}/live/lt/index.m3u8`, '--viewers', '4', '--threads', '1'],
        ...['--profile', 'step', '--duration', '3', '--json', json],
      ]);
      assert.equal(r.code, 0, `exit ${r.code}: ${r.stderr.slice(-2000)}`);
      const cli = JSON.parse(readFileSync(json, 'utf8')) as Report;
      assert.equal(cli.viewers.arrived, 4);
      assert.equal(cli.viewers.startedPlaying, 4);
      assert.equal(cli.origin, null, 'no /metrics were named');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

function q(r: Report): number {
  return Object.values(r.requests.byKind).reduce((n, k) => n + k.count, 0);
}
