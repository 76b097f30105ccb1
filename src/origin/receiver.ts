import { secretDigest, secretMatches } from '../util/secret.js';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../util/logger.js';
import { describeError, isCorralError } from '../util/errors.js';
import { sendText } from './http-util.js';
import { MAX_LIVE_HEADER_BYTES } from './live-state.js';
import type { ObjectKind, OriginPush, PushObject } from './types.js';

/**
 * The HTTP push receiver: PUT stores an object, DELETE removes one (or a "dir/" prefix). It feeds
 * the very same OriginPush the in-process transport uses, so both transports share validation,
 * ETag computation and indexing.
 */

export const KINDS: ReadonlySet<string> = new Set<ObjectKind>([
  'init',
  'segment',
  'part',
  'playlist',
  'multivariant',
]);

/**
 * On every push answer: which origin process took it. A packager that sees it change knows the
 * origin restarted and may have lost what it held, even when no push failed in between.
 */
export const ORIGIN_INSTANCE_HEADER = 'x-corral-origin-instance';

export interface ReceiverOptions {
  /** Empty: HTTP push disabled (403). */
  token: string;
  maxObjectBytes: number;
  push: OriginPush;
  logger: Logger;
  /** This origin process (ORIGIN_INSTANCE_HEADER). */
  instance: string;
}

/** Constant-time token check (src/util/secret.ts). */
function tokenMatches(header: string | undefined, token: string): boolean {
  if (header === undefined || !header.startsWith('Bearer ')) return false;
  return secretMatches(header.slice(7).trim(), [secretDigest(token)]);
}

/**
 * Answer without reading the body. A small announced body is drained by Node after the response so
 * the keep-alive connection survives; an unbounded or oversized one is not worth reading, so the
 * connection is closed once the response is flushed.
 */
function reject(
  req: IncomingMessage,
  res: ServerResponse,
  maxObjectBytes: number,
  status: number,
  text: string,
  headers: Record<string, string> = {},
): void {
  const announced = Number(req.headers['content-length'] ?? 0);
  const drainable = req.headers['transfer-encoding'] === undefined && announced <= maxObjectBytes;
  if (!drainable) {
    res.on('finish', () => req.socket.destroySoon());
    headers = { ...headers, connection: 'close' };
  }
  sendText(res, status, text, headers);
}

export function handlePushRequest(
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  opts: ReceiverOptions,
): void {
  const max = opts.maxObjectBytes;
  if (opts.token === '') return reject(req, res, max, 403, 'push over HTTP is disabled');
  if (!tokenMatches(req.headers.authorization, opts.token)) {
    return reject(req, res, max, 401, 'bad or missing push token', { 'www-authenticate': 'Bearer' });
  }
  // Only for the packager holding the token: no one else needs to learn when the origin restarts.
  res.setHeader(ORIGIN_INSTANCE_HEADER, opts.instance);

  if (req.method === 'DELETE') {
    req.resume();
    opts.push.remove(path).then(
      () => res.writeHead(204).end(),
      (e: unknown) => fail(res, opts.logger, path, e),
    );
    return;
  }

  if (path.endsWith('/')) return reject(req, res, max, 400, 'PUT needs an object path, not a prefix');
  const kind = req.headers['x-corral-kind'];
  if (typeof kind !== 'string' || !KINDS.has(kind)) {
    return reject(
      req,
      res,
      max,
      400,
      'X-Corral-Kind must be one of init, segment, part, playlist, multivariant',
    );
  }
  let maxAgeS: number | undefined;
  const maxAgeHeader = req.headers['x-corral-max-age'];
  if (maxAgeHeader !== undefined) {
    maxAgeS = Number(maxAgeHeader);
    if (
      typeof maxAgeHeader !== 'string' ||
      maxAgeHeader.trim() === '' ||
      !Number.isFinite(maxAgeS) ||
      maxAgeS < 0
    ) {
      return reject(req, res, max, 400, 'X-Corral-Max-Age must be a non-negative number');
    }
  }
  // LL-HLS playlists: the state as JSON (validated by push.put like an in-process state), the delta
  // as the body's last X-Corral-Delta-Length bytes (see HttpPush.put).
  let live: unknown;
  const liveHeader = req.headers['x-corral-live'];
  if (liveHeader !== undefined) {
    if (typeof liveHeader !== 'string' || liveHeader.length > MAX_LIVE_HEADER_BYTES) {
      return reject(req, res, max, 400, 'X-Corral-Live must be one JSON object');
    }
    try {
      live = JSON.parse(liveHeader);
    } catch {
      return reject(req, res, max, 400, 'X-Corral-Live must be one JSON object');
    }
  }
  const deltaHeader = req.headers['x-corral-delta-length'];
  let deltaLength: number | undefined;
  if (deltaHeader !== undefined) {
    deltaLength =
      typeof deltaHeader === 'string' && /^\d{1,10}$/.test(deltaHeader) ? Number(deltaHeader) : NaN;
    if (!Number.isSafeInteger(deltaLength)) {
      return reject(req, res, max, 400, 'X-Corral-Delta-Length must be a byte count');
    }
  }
  const announced = req.headers['content-length'];
  if (announced !== undefined && Number(announced) > max) {
    return reject(req, res, max, 413, `object larger than ${max} bytes`);
  }
  const contentType = req.headers['content-type'] ?? 'application/octet-stream';

  readCapped(req, max).then(
    (body) => {
      if (body === undefined) return reject(req, res, max, 413, `object larger than ${max} bytes`);
      if (deltaLength !== undefined && deltaLength > body.length) {
        return sendText(res, 400, 'X-Corral-Delta-Length exceeds the body');
      }
      const split = deltaLength === undefined ? body.length : body.length - deltaLength;
      const obj: PushObject = {
        path,
        kind: kind as ObjectKind,
        contentType,
        body: body.subarray(0, split),
        ...(maxAgeS === undefined ? {} : { maxAgeS }),
        ...(live === undefined ? {} : { live: live as PushObject['live'] }),
        ...(deltaLength === undefined ? {} : { delta: body.subarray(split) }),
      };
      opts.push.put(obj).then(
        () => sendText(res, 201, 'stored'),
        (e: unknown) => fail(res, opts.logger, path, e),
      );
    },
    // The client went away mid-body: nobody is left to answer.
    () => undefined,
  );
}

/**
 * Collect the body, or resolve undefined as soon as it passes `max` bytes (the rest is not read:
 * the caller answers 413 and closes). Rejects when the client aborts.
 */
function readCapped(req: IncomingMessage, max: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let total = 0;
    const onData = (chunk: Buffer) => {
      total += chunk.length;
      if (total > max) {
        cleanup();
        req.pause();
        resolve(undefined);
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve(Buffer.concat(chunks, total));
    };
    const onClose = () => {
      cleanup();
      reject(new Error('request aborted'));
    };
    const cleanup = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('close', onClose);
      req.off('error', onClose);
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('close', onClose);
    req.on('error', onClose);
  });
}

function fail(res: ServerResponse, logger: Logger, path: string, e: unknown): void {
  if (res.headersSent) return;
  if (isCorralError(e, 'BAD_REQUEST')) return sendText(res, 400, describeError(e));
  if (isCorralError(e, 'STORE_LIMIT')) return sendText(res, 413, describeError(e));
  logger.error({ path, err: describeError(e) }, 'push failed');
  sendText(res, 500, 'internal error');
}
