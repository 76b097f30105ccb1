import assert from 'node:assert/strict';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { test } from 'node:test';
import fc from 'fast-check';
import { MAX_HEAD_BYTES, parseRequestHead } from './request-head.js';

const parse = (s: string, off = 0) => parseRequestHead(Buffer.from(s, 'latin1'), off);

test('plain GET and HEAD heads are read; pipelined heads one after another', () => {
  const two =
    'GET /live/a/seg-1.m4s?_HLS_msn=3 HTTP/1.1\r\nHost: edge\r\nX-Thing:  spaced value \t\r\n\r\n' +
    'HEAD /b HTTP/1.1\r\nhost: e\r\nConnection: keep-alive, Close\r\n\r\nGET /c';
  const a = parse(two);
  assert.equal(a.kind, 'plain');
  if (a.kind !== 'plain') return;
  assert.equal(a.method, 'GET');
  assert.equal(a.target, '/live/a/seg-1.m4s?_HLS_msn=3');
  assert.deepEqual({ ...a.headers }, { host: 'edge', 'x-thing': 'spaced value' });
  assert.equal(a.close, false);
  const b = parse(two, a.end);
  assert.equal(b.kind, 'plain');
  if (b.kind !== 'plain') return;
  assert.equal(b.method, 'HEAD');
  assert.equal(b.close, true);
  assert.deepEqual(parse(two, b.end), { kind: 'more' });
});

test('anything not plain goes to node:http, never a guess', () => {
  const cases: Array<[string, string]> = [
    ['POST /x HTTP/1.1\r\nhost: a\r\n\r\n', 'another method'],
    ['GET /x HTTP/1.0\r\nhost: a\r\n\r\n', 'HTTP/1.0'],
    ['GET http://a/x HTTP/1.1\r\nhost: a\r\n\r\n', 'absolute form'],
    ['GET /x HTTP/1.1\r\n\r\n', 'no Host'],
    ['GET /x HTTP/1.1\r\nhost: a\r\nhost: b\r\n\r\n', 'repeated field'],
    ['GET /x HTTP/1.1\r\nhost: a\r\ncontent-length: 0\r\n\r\n', 'a body length'],
    ['GET /x HTTP/1.1\r\nhost: a\r\ntransfer-encoding: chunked\r\n\r\n', 'chunked'],
    ['GET /x HTTP/1.1\r\nhost: a\r\nupgrade: websocket\r\nconnection: upgrade\r\n\r\n', 'upgrade'],
    ['GET /x HTTP/1.1\r\nhost: a\r\nexpect: 100-continue\r\n\r\n', 'expect'],
    ['GET /x HTTP/1.1\r\nhost: a\r\nx: a\n b\r\n\r\n', 'bare LF'],
    ['GET /x HTTP/1.1\r\nhost: a\r\nx: a\rb\r\n\r\n', 'bare CR'],
    ['GET /x HTTP/1.1\r\nhost: a\r\nx: a\r\n folded\r\n\r\n', 'obs-fold'],
    ['GET /x HTTP/1.1\r\nhost: a\r\nx : a\r\n\r\n', 'space before the colon'],
    ['GET /x HTTP/1.1\r\nhost: a\r\nx: caf\xe9\r\n\r\n', 'obs-text'],
    ['GET /x HTTP/1.1\r\nhost: a\r\nx: \x00\r\n\r\n', 'NUL'],
    ['GET /x y HTTP/1.1\r\nhost: a\r\n\r\n', 'space in the target'],
    ['GET  /x HTTP/1.1\r\nhost: a\r\n\r\n', 'two spaces'],
    ['get /x HTTP/1.1\r\nhost: a\r\n\r\n', 'lower-case method'],
    [`GET /x HTTP/1.1\r\nhost: a\r\n${'x: y\r\n'.repeat(101)}\r\n`, 'too many fields'],
  ];
  for (const [head, why] of cases) assert.deepEqual(parse(head), { kind: 'other' }, why);
  // Too long before any blank line: not waited for.
  assert.deepEqual(parse(`GET /${'a'.repeat(MAX_HEAD_BYTES)}`), { kind: 'other' });
  assert.deepEqual(parse('GET /x HTTP/1.1\r\nhost: a\r\n'), { kind: 'more' });
  // "__proto__" is a field name like any other, not a prototype.
  const p = parse('GET /x HTTP/1.1\r\nhost: a\r\n__proto__: z\r\n\r\n');
  assert.equal(p.kind === 'plain' && p.headers.__proto__, 'z');
});

/** Request heads built from pieces attackers and odd clients use. */
const piece = fc.constantFrom(
  'GET',
  'HEAD',
  'POST',
  ' ',
  '/',
  '/live/s/seg-1.m4s',
  '?a=1',
  ' HTTP/1.1',
  ' HTTP/1.0',
  '\r\n',
  '\n',
  '\r',
  'host: h',
  'Host:h',
  'content-length: 5',
  'transfer-encoding: chunked',
  'x-a: b',
  'connection: close',
  ':',
  '\t',
  '\x00',
  '\xff',
  ' folded',
);
const head = fc.oneof(
  fc.array(piece, { maxLength: 16 }).map((a) => a.join('') + '\r\n\r\n'),
  fc
    .tuple(
      fc.constantFrom('GET', 'HEAD'),
      fc.stringMatching(/^\/[\x21-\x7e]{0,30}$/),
      fc.array(
        fc.tuple(fc.stringMatching(/^[a-z][a-z0-9-]{0,10}$/), fc.stringMatching(/^[\x20-\x7e]{0,20}$/)),
        {
          maxLength: 6,
        },
      ),
    )
    .map(
      ([m, t, fs]) =>
        `${m} ${t} HTTP/1.1\r\nhost: h\r\n${fs.map(([n, v]) => `${n}: ${v}`).join('\r\n')}${fs.length ? '\r\n' : ''}\r\n`,
    ),
);

const RUNS = 3000;
test(`fuzz: request heads (${RUNS} cases): plain heads carry no control bytes and end at their blank line`, () => {
  fc.assert(
    fc.property(head, (h) => {
      const r = parse(h);
      if (r.kind !== 'plain') return;
      assert.equal(r.end, h.indexOf('\r\n\r\n') + 4);
      assert.ok(/^[\x21-\x7e]+$/.test(r.target));
      for (const [k, v] of Object.entries(r.headers)) {
        assert.ok(/^[!#$%&'*+\-.^_`|~0-9a-z]+$/.test(k), k);
        // eslint-disable-next-line no-control-regex
        assert.ok(!/[\r\n\x00]/.test(v), JSON.stringify(v));
      }
    }),
    { numRuns: RUNS },
  );
});

const DIFF_RUNS = 300;
test(`fuzz against node:http (${DIFF_RUNS} cases): every head read as plain, node:http reads the same`, async () => {
  const seen: Array<{ method: string; url: string; headers: Record<string, string> }> = [];
  const server = http.createServer((req, res) => {
    seen.push({ method: req.method!, url: req.url!, headers: req.headers as Record<string, string> });
    res.end('ok');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const heads = fc.sample(head, { numRuns: DIFF_RUNS, seed: 7 });
  let plain = 0;
  try {
    for (const h of heads) {
      const r = parse(h);
      if (r.kind !== 'plain') continue;
      plain++;
      seen.length = 0;
      await new Promise<void>((resolve) => {
        const s = net.connect(port, '127.0.0.1', () => s.end(Buffer.from(h, 'latin1')));
        s.on('data', () => {});
        s.on('error', () => resolve());
        s.on('close', () => resolve());
      });
      assert.equal(seen.length, 1, `node:http took ${JSON.stringify(h)}`);
      assert.equal(seen[0]!.method, r.method);
      assert.equal(seen[0]!.url, r.target);
      assert.deepEqual(seen[0]!.headers, { ...r.headers });
    }
  } finally {
    server.close();
  }
  assert.ok(plain > DIFF_RUNS / 4, `only ${plain} plain heads in the sample`);
});
