import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PlaybackGate, signPlaybackToken, streamPrefix, verifyPlaybackToken, withToken } from './token.js';

const OLD = 'old-secret-0123456789';
const NEW = 'new-secret-9876543210';
const NOW = Date.UTC(2026, 10, 29, 12, 0, 0);
const inAnHour = NOW / 1000 + 3600;
const PATH = '/live/show/v0/seg-12.m4s';

describe('playback tokens (issue 9)', () => {
  const token = signPlaybackToken(NEW, { stream: 'live/show', expiresAt: inAnHour });

  it('a valid token verifies for any path of its stream, with no upstream round trip', () => {
    assert.deepEqual(verifyPlaybackToken(token, [NEW], PATH, NOW), { ok: true });
    assert.deepEqual(verifyPlaybackToken(token, [NEW], '/live/show/index.m3u8', NOW), { ok: true });
    assert.match(token, /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/, 'safe in a query string as is');
  });

  it('an expired token is refused', () => {
    const t = signPlaybackToken(NEW, { stream: 'live/show', expiresAt: NOW / 1000 - 1 });
    assert.deepEqual(verifyPlaybackToken(t, [NEW], PATH, NOW), { ok: false, reason: 'expired' });
    const edge = signPlaybackToken(NEW, { stream: 'live/show', expiresAt: NOW / 1000 });
    assert.equal(verifyPlaybackToken(edge, [NEW], PATH, NOW).ok, false, 'expiry is exclusive');
  });

  it('a forged token is refused: other secret, edited claims, edited signature', () => {
    const other = signPlaybackToken('attacker-secret-000000', { stream: 'live/show', expiresAt: inAnHour });
    assert.deepEqual(verifyPlaybackToken(other, [NEW], PATH, NOW), { ok: false, reason: 'forged' });
    const [, sig] = token.split('.');
    const claims = Buffer.from(JSON.stringify({ p: '/live/', e: inAnHour + 1e6 })).toString('base64url');
    assert.deepEqual(verifyPlaybackToken(`${claims}.${sig}`, [NEW], PATH, NOW), {
      ok: false,
      reason: 'forged',
    });
    const flipped = token.slice(0, -2) + (token.endsWith('A') ? 'B' : 'A') + token.slice(-1);
    assert.equal(verifyPlaybackToken(flipped, [NEW], PATH, NOW).ok, false);
    for (const junk of ['', 'x', 'a.b.c', '.', `${'a'.repeat(2000)}.b`]) {
      assert.equal(verifyPlaybackToken(junk, [NEW], PATH, NOW).ok, false, junk);
    }
  });

  it('a token for another stream is refused, even one whose name starts the same', () => {
    assert.deepEqual(verifyPlaybackToken(token, [NEW], '/live/other/seg-1.m4s', NOW), {
      ok: false,
      reason: 'wrong-stream',
    });
    assert.equal(verifyPlaybackToken(token, [NEW], '/live/showtime/seg-1.m4s', NOW).ok, false);
    const app = signPlaybackToken(NEW, { stream: 'live/', expiresAt: inAnHour });
    assert.equal(verifyPlaybackToken(app, [NEW], '/live/other/seg-1.m4s', NOW).ok, true);
  });

  it('rotation: tokens of both secrets verify while both are listed', () => {
    const old = signPlaybackToken(OLD, { stream: 'live/show', expiresAt: inAnHour });
    assert.equal(verifyPlaybackToken(old, [NEW, OLD], PATH, NOW).ok, true);
    assert.equal(verifyPlaybackToken(token, [NEW, OLD], PATH, NOW).ok, true);
    assert.deepEqual(verifyPlaybackToken(old, [NEW], PATH, NOW), { ok: false, reason: 'forged' });
  });

  it('a client-scoped token is valid from that address only (IPv4-mapped counts as IPv4)', () => {
    const t = signPlaybackToken(NEW, { stream: 'live/show', expiresAt: inAnHour, client: '10.0.0.7' });
    assert.equal(verifyPlaybackToken(t, [NEW], PATH, NOW, '10.0.0.7').ok, true);
    assert.equal(verifyPlaybackToken(t, [NEW], PATH, NOW, '::ffff:10.0.0.7').ok, true);
    assert.deepEqual(verifyPlaybackToken(t, [NEW], PATH, NOW, '10.0.0.8'), {
      ok: false,
      reason: 'wrong-client',
    });
  });

  it('stream names and prefixes', () => {
    assert.equal(streamPrefix('live/show'), '/live/show/');
    assert.equal(streamPrefix('/live/show/'), '/live/show/');
    assert.equal(streamPrefix('live/'), '/live/');
    const gate = new PlaybackGate({ secrets: [NEW], streams: ['live/show'] });
    assert.equal(gate.protects('/live/show/index.m3u8'), true);
    assert.equal(gate.protects('/live/showtime/index.m3u8'), false);
  });

  it('playlists given to token holders carry the token on every relative URI', () => {
    const text = [
      '#EXTM3U',
      '#EXT-X-MAP:URI="init.mp4"',
      '#EXT-X-PART:DURATION=0.33,URI="seg-12.0.m4s"',
      '#EXTINF:1,',
      'seg-12.m4s',
      'https://cdn.example/other.m4s',
      '#EXT-X-PRELOAD-HINT:TYPE=PART,URI="seg-13.0.m4s?x=1"',
      'v1/index.m3u8',
      '',
    ].join('\n');
    const out = withToken(text, 'T.K');
    assert.match(out, /URI="init\.mp4\?token=T\.K"/);
    assert.match(out, /URI="seg-12\.0\.m4s\?token=T\.K"/);
    assert.match(out, /\nseg-12\.m4s\?token=T\.K\n/);
    assert.match(out, /\nhttps:\/\/cdn\.example\/other\.m4s\n/, 'other hosts are left alone');
    assert.match(out, /URI="seg-13\.0\.m4s\?x=1&token=T\.K"/);
    assert.match(out, /\nv1\/index\.m3u8\?token=T\.K\n/);
    assert.equal(withToken(out, 'T.K'), out, 'idempotent');
  });
});
