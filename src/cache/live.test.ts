import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { describe, it } from 'node:test';
import { FakeClock } from '../util/fake-clock.js';
import { SharedBody } from './body.js';
import { createEntry, type Entry } from './entry.js';
import { LiveRules, type Held, type RefreshFirst } from './live.js';
import type { Waiter } from './waiter.js';

const URL_ = '/live/a/index.m3u8';

function playlist(
  first: number,
  count: number,
  target = 2,
  maxAge = 60,
  cc = `max-age=${maxAge}`,
  canBlockReload = false,
): Entry {
  const lines = ['#EXTM3U', `#EXT-X-TARGETDURATION:${target}`, `#EXT-X-MEDIA-SEQUENCE:${first}`];
  if (canBlockReload) lines.push('#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES');
  for (let i = first; i < first + count; i++) lines.push('#EXTINF:2.0,', `seg-${i}.m4s`);
  const body = SharedBody.of(Buffer.from(lines.join('\n') + '\n'));
  const headers = { 'content-type': 'application/vnd.apple.mpegurl', 'cache-control': cc };
  return createEntry(200, headers, body, 0, {}, 0);
}

function waiter(url: string): Waiter {
  const res = Object.assign(new EventEmitter(), { destroyed: false }) as unknown as ServerResponse;
  const req = { url, headers: {}, method: 'GET' } as unknown as IncomingMessage;
  return { req, res, started: 0, result: 'MISS', peer: false };
}

function rules(clock = new FakeClock(), refreshFirst: RefreshFirst = 'never') {
  const outcomes: string[] = [];
  const refreshed: string[] = [];
  const live = new LiveRules({
    maxAhead: 3,
    holdFactor: 1.5,
    clock,
    onHoldOutcome: (o) => outcomes.push(o),
    refresh: (u) => refreshed.push(u),
    refreshFirst,
  });
  return { live, clock, outcomes, refreshed };
}

describe('LiveRules', () => {
  it('knows a playlist by its type or its .m3u8 path', () => {
    const { live } = rules();
    assert.equal(live.isPlaylist('/x/index.m3u8?_HLS_msn=3', {}), true);
    assert.equal(live.isPlaylist('/x/a', { 'content-type': 'audio/mpegurl' }), true);
    assert.equal(live.isPlaylist('/x/seg-1.m4s', { 'content-type': 'video/mp4' }), false);
  });

  it('caps a plain playlist at half a target duration, but not a blocking reload', () => {
    const { live } = rules();
    const plain = live.acceptPlaylist(URL_, playlist(10, 3, 4));
    assert.equal(plain.policy.lifetimeMs, 2_000);
    const blocking = live.acceptPlaylist(`${URL_}?_HLS_msn=13`, playlist(11, 3, 4));
    assert.equal(blocking.policy.lifetimeMs, 60_000);
  });

  it('refreshFirst: a plain playlist refreshes first (stale only while a refresh runs), a blocking reload does not', () => {
    const { live } = rules(new FakeClock(), 'always');
    const cc = 'public, max-age=1, stale-while-revalidate=1, stale-if-error=30';
    const plain = live.acceptPlaylist(URL_, playlist(10, 3, 1, 1, cc));
    assert.deepEqual(
      [plain.policy.lifetimeMs, plain.policy.swrMs, plain.policy.sieMs, plain.policy.refreshFirst],
      [1_000, 1_000, 30_000, true],
    );
    const blocking = live.acceptPlaylist(`${URL_}?_HLS_msn=13`, playlist(11, 3, 1, 1, cc));
    assert.equal(blocking.policy.refreshFirst, false);
    const off = rules().live.acceptPlaylist(URL_, playlist(10, 3, 1, 1, cc));
    assert.equal(off.policy.refreshFirst, false, 'off by default');
    const ll = rules(new FakeClock(), 'always').live.acceptPlaylist(URL_, playlist(10, 3, 1, 1, cc, true));
    assert.equal(ll.policy.refreshFirst, true, "'always' includes LL-HLS playlists");
  });

  it("refreshFirst 'auto': only playlists without CAN-BLOCK-RELOAD, on a 200 and on a 304", () => {
    const cc = 'public, max-age=1, stale-while-revalidate=1, stale-if-error=30';
    const ttl = rules(new FakeClock(), 'auto').live;
    assert.equal(ttl.acceptPlaylist(URL_, playlist(10, 3, 1, 1, cc)).policy.refreshFirst, true);
    assert.equal(ttl.renewPlaylist(URL_, playlist(10, 3, 1, 1, cc)).policy.refreshFirst, true);
    const push = rules(new FakeClock(), 'auto').live;
    const ll = push.acceptPlaylist(URL_, playlist(10, 3, 1, 1, cc, true));
    assert.deepEqual([ll.policy.lifetimeMs, ll.policy.swrMs, ll.policy.refreshFirst], [1_000, 1_000, false]);
    assert.equal(push.renewPlaylist(URL_, playlist(10, 3, 1, 1, cc, true)).policy.refreshFirst, false);
  });

  it('never hands out an older playlist than one it already served', () => {
    const { live } = rules();
    const newer = live.acceptPlaylist(URL_, playlist(10, 3));
    assert.equal(live.acceptPlaylist(URL_, playlist(8, 3)), newer);
    const newest = playlist(11, 3);
    assert.equal(live.acceptPlaylist(URL_, newest), newest);
  });

  it('learns the segment pattern: listed segments are not future, the next ones are', () => {
    const { live } = rules();
    live.acceptPlaylist(URL_, playlist(10, 3));
    assert.equal(live.isFuture('/live/a/seg-12.m4s'), false);
    assert.equal(live.isFuture('/live/a/seg-13.m4s'), true);
    assert.equal(live.isFuture('/live/b/seg-13.m4s'), false, 'another stream is unknown');
  });

  it('holds a request just ahead until a playlist lists it', () => {
    const { live, outcomes, refreshed } = rules();
    live.acceptPlaylist(URL_, playlist(10, 3));
    const held: Held[] = [];
    assert.equal(
      live.maybeHold('/live/a/seg-13.m4s', waiter('/live/a/seg-13.m4s'), (h) => held.push(h)),
      true,
    );
    assert.deepEqual(refreshed, [URL_], 'holding asks for the playlist at once');
    assert.equal(
      live.maybeHold('/live/a/seg-12.m4s', waiter('/live/a/seg-12.m4s'), () => {}),
      false,
    );
    assert.equal(
      live.maybeHold('/live/a/seg-16.m4s', waiter('/live/a/seg-16.m4s'), () => {}),
      false,
    );
    live.acceptPlaylist(URL_, playlist(11, 3));
    assert.equal(held.length, 1);
    assert.equal(held[0]!.appeared, true);
    assert.deepEqual(outcomes, ['appeared']);
  });

  it('lets a hold time out after holdFactor target durations, re-reading the playlist meanwhile', () => {
    const { live, clock, outcomes, refreshed } = rules();
    live.acceptPlaylist(URL_, playlist(10, 3, 2));
    const held: Held[] = [];
    live.maybeHold('/live/a/seg-13.m4s', waiter('/live/a/seg-13.m4s'), (h) => held.push(h));
    clock.advance(2_999);
    assert.equal(held.length, 0);
    assert.ok(refreshed.length >= 5, `refreshed every quarter target: ${refreshed.length}`);
    clock.advance(1);
    assert.deepEqual(
      held.map((h) => h.appeared),
      [false],
    );
    assert.deepEqual(outcomes, ['timeout']);
    clock.advance(10_000);
    assert.equal(clock.pending, 0, 'no timer left once nothing is held');
  });

  it('settles a held request whose viewer left, once', () => {
    const { live } = rules();
    live.acceptPlaylist(URL_, playlist(10, 3));
    const held: Held[] = [];
    const w = waiter('/live/a/seg-13.m4s');
    live.maybeHold('/live/a/seg-13.m4s', w, (h) => held.push(h));
    w.res.emit('close');
    live.acceptPlaylist(URL_, playlist(11, 3));
    assert.deepEqual(
      held.map((h) => h.appeared),
      [false],
    );
  });

  it('knows the names a live playlist lists for a while after it last passed; an ended one for good', () => {
    const { live, clock } = rules();
    live.acceptPlaylist(URL_, playlist(10, 3));
    const ended = Buffer.from('#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2.0,\nseg-0.m4s\n#EXT-X-ENDLIST\n');
    const headers = { 'content-type': 'application/vnd.apple.mpegurl', 'cache-control': 'max-age=60' };
    live.acceptPlaylist('/vod/b/index.m3u8', createEntry(200, headers, SharedBody.of(ended), 0, {}, 0));
    assert.ok(live.isKnown('/live/a/seg-12.m4s'));
    assert.ok(live.isKnown('/vod/b/seg-0.m4s'));
    assert.equal(live.isKnown('/live/a/seg-13.m4s'), false, 'not listed yet');
    clock.advance(60_000);
    live.acceptPlaylist(URL_, playlist(11, 3));
    clock.advance(60_000);
    assert.equal(live.isKnown('/live/a/seg-10.m4s'), false, 'left the playlist two minutes ago');
    assert.ok(live.isKnown('/live/a/seg-13.m4s'), 'listed a minute ago');
    assert.ok(live.isKnown('/vod/b/seg-0.m4s'), 'an ended playlist does not pass again');
    assert.ok(live.isKnown(URL_) && live.isLiveDir('/live/a/'));
  });
});
