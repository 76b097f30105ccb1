import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { selfSignedCert } from '../../src/ingest/self-signed.js';
import { get, startNode, startOrigin, type TestNode, type TestOrigin } from './helpers.js';

/** Issue 9 item 5, cache half: tier-to-tier credentials and TLS on the cache listener. */

const CRED = 'Bearer tier-secret-1';

describe('tier-to-tier trust', () => {
  let origin: TestOrigin;
  let shield: TestNode;
  let edge: TestNode;
  let bareEdge: TestNode;
  let tlsShield: TestNode;
  let tlsEdge: TestNode;
  let certFile: string;
  before(async () => {
    origin = await startOrigin();
    shield = await startNode(origin.url, { requireAuth: CRED }, 'shield');
    edge = await startNode(shield.url, { upstreamAuth: CRED });
    bareEdge = await startNode(shield.url, { name: 'bare' });
    const dir = mkdtempSync(join(tmpdir(), 'corral-tls-'));
    const { cert, key } = await selfSignedCert(['127.0.0.1']);
    certFile = join(dir, 'cert.pem');
    writeFileSync(certFile, cert);
    writeFileSync(join(dir, 'key.pem'), key);
    tlsShield = await startNode(
      origin.url,
      { name: 'tlsshield', tlsCert: certFile, tlsKey: join(dir, 'key.pem'), requireAuth: CRED },
      'shield',
    );
    tlsEdge = await startNode(tlsShield.url.replace('http:', 'https:'), {
      name: 'tlsedge',
      upstreamAuth: CRED,
      upstreamCa: certFile,
    });
  });
  after(async () => {
    for (const n of [edge, bareEdge, tlsEdge, shield, tlsShield]) await n?.close();
    await origin?.stop();
  });

  it('a shield that requires a credential answers 401 without it, and never asks the origin', async () => {
    const path = '/obj/t1?cc=public,max-age%3D60';
    const r = await get(shield.url + path);
    assert.equal(r.status, 401);
    assert.match(String(r.headers['www-authenticate']), /Bearer/);
    assert.equal((await get(shield.url + path, { headers: { authorization: 'Bearer wrong' } })).status, 401);
    assert.equal((await get(bareEdge.url + path)).status, 401, 'an edge without the credential');
    assert.equal(await origin.count(path), 0);
  });

  it('an edge with the credential is served, and the credential stops at the shield', async () => {
    const path = '/obj/t2?cc=public,max-age%3D60';
    const r = await get(edge.url + path, { headers: { authorization: 'Bearer viewer-own' } });
    assert.equal(r.status, 200);
    assert.equal(r.headers['x-cache'], 'edge MISS, shield MISS');
    assert.equal(await origin.count(path), 1);
    const again = await get(edge.url + path);
    assert.match(String(again.headers['x-cache']), /^edge HIT/);
  });

  it('TLS on the cache listener, and an https upstream trusted through upstreamCa', async () => {
    const path = '/obj/t3?cc=public,max-age%3D60';
    const r = await get(tlsEdge.url + path);
    assert.equal(r.status, 200);
    assert.equal(r.headers['x-cache'], 'tlsedge MISS, tlsshield MISS');
    const direct = await new Promise<number>((resolve, reject) => {
      https
        .get(
          tlsShield.url.replace('http:', 'https:') + path,
          { ca: [readFileSync(certFile, 'utf8')] },
          (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          },
        )
        .on('error', reject);
    });
    assert.equal(direct, 401, 'over TLS, still no entry without the credential');
  });
});
