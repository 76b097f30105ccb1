import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, getText, until } from '../support/server.js';
import { FFMPEG, probe, run, testPatternArgs } from '../support/ffmpeg.js';
import { parseMediaPlaylist, type MediaPlaylist } from '../support/hls.js';
import { loadConfig } from '../../src/config/load.js';
import { startRelayNode } from '../../src/cli/relay.js';
import { closeAll, type Closer } from '../../src/cli/server.js';
import { silentLogger } from '../../src/util/logger.js';

async function playlist(url: string): Promise<MediaPlaylist | undefined> {
  const r = await getText(url);
  return r.status === 200 ? parseMediaPlaylist(r.text) : undefined;
}

const lastSeq = (p: MediaPlaylist) => p.segments.at(-1)?.sequence ?? -1;

/**
 * A real ffmpeg broadcaster -> the relay -> two central ingests (primary, backup). ffmpeg's tee
 * also publishes the same packets straight to the backup as "direct", so the playlists'
 * PROGRAM-DATE-TIME of one segment, relayed and direct, shows what the relay adds.
 */
test('relay e2e: plays from the primary, added latency, failover to the backup without dropping the broadcaster', async () => {
  const opts = { 'package.windowSegments': 40, 'package.reconnectGraceS': 1 };
  const primary = await startTestServer(opts);
  const backup = await startTestServer(opts);
  const closers: Closer[] = [];
  let primaryUp = true;
  try {
    const config = loadConfig({
      overrides: {
        'rtmp.host': '127.0.0.1',
        'rtmp.port': 0,
        'rtmps.enabled': false,
        'ingest.relay.primary': primary.rtmp,
        'ingest.relay.backup': backup.rtmp,
      },
    });
    const relay = await startRelayNode(config, silentLogger(), closers);
    const seconds = 18;
    const args = testPatternArgs('', { seconds, size: '320x240' }).slice(0, -4);
    args.push(
      // The tee muxer does not ask encoders for global headers as flv would: without them no
      // sequence header is sent.
      ...['-flags:v', '+global_header', '-flags:a', '+global_header'],
      ...['-map', '0:v', '-map', '1:a', '-f', 'tee'],
      `[f=flv]rtmp://127.0.0.1:${relay.rtmp!.port}/live/cam|[f=flv]${backup.rtmp}/live/direct`,
    );
    const broadcaster = run(FFMPEG, args, (seconds + 30) * 1000);

    const viaPrimary = `${primary.viewer}/live/cam/src/index.m3u8`;
    const first = await until('the relayed stream on the primary', async () => {
      const p = await playlist(viaPrimary);
      return p && p.segments.length >= 3 ? p : undefined;
    });
    const info = await probe(viaPrimary);
    assert.deepEqual(info.streams.map((s) => s.codec_name).sort(), ['aac', 'h264']);
    const later = await until('the primary playlist to advance', async () => {
      const p = await playlist(viaPrimary);
      return p && lastSeq(p) > lastSeq(first) ? p : undefined;
    });

    const direct = await playlist(`${backup.viewer}/live/direct/src/index.m3u8`);
    assert.ok(direct, 'the direct publish is live');
    const pdtDiffs = later.segments.flatMap((s) => {
      const d = direct.segments.find((x) => x.sequence === s.sequence);
      return d && s.programDateTime !== undefined && d.programDateTime !== undefined
        ? [s.programDateTime - d.programDateTime]
        : [];
    });
    assert.ok(pdtDiffs.length > 0, 'segments to compare');
    console.log(`relay added latency (PROGRAM-DATE-TIME relayed - direct): ${pdtDiffs[0]} ms`);
    assert.ok(Math.abs(pdtDiffs[0]!) < 250, `PDT difference ${pdtDiffs[0]} ms`);

    const r = [...relay.target.relays][0]!;
    const killedAt = Date.now();
    primaryUp = false;
    await primary.server.close();
    await until(
      'the relay to switch to the backup',
      async () => (r.switches.length > 0 ? true : undefined),
      5000,
    );
    const failoverMs = r.switches[0]!.at - killedAt;
    console.log(`relay failover: on the backup ${failoverMs} ms after the primary closed`);
    assert.equal(r.upstreamUrl, backup.rtmp);
    assert.ok(failoverMs < 3000, `failover took ${failoverMs} ms`);

    const viaBackup = `${backup.viewer}/live/cam/src/index.m3u8`;
    const onBackup = await until('the relayed stream on the backup', async () => {
      const p = await playlist(viaBackup);
      return p && p.segments.length >= 1 ? p : undefined;
    });
    await until('the backup playlist to advance', async () => {
      const p = await playlist(viaBackup);
      return p && lastSeq(p) > lastSeq(onBackup) ? true : undefined;
    });
    assert.equal(relay.target.relays.size, 1, 'the broadcaster publish is still relayed');
    const done = await broadcaster;
    assert.equal(done.code, 0, `the broadcaster never lost its connection: ${done.stderr}`);
  } finally {
    await closeAll(closers);
    await backup.server.close();
    if (primaryUp) await primary.server.close();
  }
});
