import { secretDigest, secretMatches } from '../util/secret.js';
import http from 'node:http';
import https from 'node:https';
import { CorralError, describeError } from '../util/errors.js';
import type { Logger } from '../util/logger.js';
import type { PublishRequest } from './types.js';

/**
 * Publish authorisation: stream keys (global and per stream) and an optional HTTP callback.
 * Every configured check must pass; the cheap local ones run first so a wrong key never costs a
 * round trip to the callback service.
 */

export interface PublishAuthConfig {
  /** Global key; '' for none. */
  publishKey: string;
  /** "app/name" -> key, or the keys valid at once during a rotation. */
  streamKeys: Readonly<Record<string, string | readonly string[]>>;
  /** '' for no callback. */
  authUrl: string;
  authTimeoutMs: number;
}

export interface Authorization {
  /**
   * A secret vouched for this publisher: a configured key matched or the callback said yes. Only
   * such a publisher may take over a live name from another address (see RtmpServer).
   */
  keyed: boolean;
}

export interface PublishAuthorizer {
  /** Resolves when the publish may go ahead; rejects with a CorralError to refuse it. */
  authorize(req: PublishRequest): Promise<Authorization>;
}

/** What is read of a refusing callback's body: enough for a reason, not a way to fill memory. */
const MAX_REASON_BODY = 4096;
/** Longest reason passed on to the broadcaster and the log. */
const MAX_REASON_CHARS = 200;

const digest = secretDigest;

/** Constant time in the given key (see src/util/secret.ts). */
export function keyMatches(given: string, accepted: readonly Buffer[]): boolean {
  return secretMatches(given, accepted);
}

export class PublishAuth implements PublishAuthorizer {
  readonly #global: Buffer[];
  readonly #perStream = new Map<string, Buffer[]>();
  readonly #url: URL | undefined;
  readonly #timeoutMs: number;
  readonly #log: Logger;

  constructor(config: PublishAuthConfig, logger: Logger) {
    // Only digests are kept, so a heap dump or a stray log of this object shows no key.
    this.#global = config.publishKey ? [digest(config.publishKey)] : [];
    for (const [path, keys] of Object.entries(config.streamKeys)) {
      this.#perStream.set(path, (typeof keys === 'string' ? [keys] : [...keys]).map(digest));
    }
    this.#url = config.authUrl ? new URL(config.authUrl) : undefined;
    this.#timeoutMs = config.authTimeoutMs;
    this.#log = logger;
  }

  async authorize(req: PublishRequest): Promise<Authorization> {
    const path = `${req.app}/${req.name}`;
    const key = req.query.get('key') ?? '';
    const accepted = this.#perStream.get(path) ?? this.#global;
    let keyed = false;
    if (accepted.length > 0) {
      if (!keyMatches(key, accepted)) {
        throw new CorralError('PUBLISH_UNAUTHORIZED', `missing or wrong stream key for ${path}`);
      }
      keyed = true;
    }
    if (this.#url) {
      const verdict = await askAuthService(
        this.#url,
        { app: req.app, name: req.name, key, remote: req.remote },
        this.#timeoutMs,
      );
      if (!verdict.allowed) {
        this.#log.warn(
          {
            app: req.app,
            name: req.name,
            remote: req.remote,
            reason: verdict.reason,
            detail: verdict.detail,
          },
          'authorisation callback denied %s: %s',
          path,
          verdict.reason,
        );
        throw new CorralError('PUBLISH_UNAUTHORIZED', `${path}: ${verdict.reason}`);
      }
      keyed = true;
    }
    return { keyed };
  }
}

export interface AuthVerdict {
  allowed: boolean;
  /** Why it was denied, fit for the broadcaster to read. */
  reason: string;
  /** For the log only (network errors), never sent to the broadcaster. */
  detail?: string;
}

/**
 * POST the publish to the callback service. Bounded in time (one deadline covering connect,
 * answer and body) and in memory (at most MAX_REASON_BODY bytes of a refusal are read).
 */
export function askAuthService(url: URL, body: object, timeoutMs: number): Promise<AuthVerdict> {
  return new Promise((resolve) => {
    const payload = Buffer.from(JSON.stringify(body));
    const send = url.protocol === 'https:' ? https.request : http.request;
    let settled = false;
    const done = (v: AuthVerdict): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      // The answer is in; nothing more is read, and the socket is not kept for a later call.
      req.destroy();
      resolve(v);
    };
    const req = send(url, {
      method: 'POST',
      agent: false,
      headers: { 'content-type': 'application/json', 'content-length': payload.length },
    });
    const timer = setTimeout(
      () => done({ allowed: false, reason: `authorisation service did not answer within ${timeoutMs} ms` }),
      timeoutMs,
    );
    timer.unref();
    req.on('error', (e) =>
      done({ allowed: false, reason: 'authorisation service unreachable', detail: describeError(e) }),
    );
    req.on('response', (res) => {
      const status = res.statusCode ?? 0;
      if (status >= 200 && status < 300) return done({ allowed: true, reason: '' });
      const chunks: Buffer[] = [];
      let size = 0;
      const refuse = () => done({ allowed: false, reason: denyReason(Buffer.concat(chunks), status) });
      res.on('data', (c: Buffer) => {
        chunks.push(c);
        size += c.length;
        if (size >= MAX_REASON_BODY) refuse();
      });
      res.on('end', refuse);
      res.on('error', refuse);
    });
    req.end(payload);
  });
}

/** The reason in a refusal body: {"reason": "..."} (or "message"/"error"), else the text itself. */
export function denyReason(body: Buffer, status: number): string {
  const text = body.subarray(0, MAX_REASON_BODY).toString('utf8');
  let reason = text;
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed && typeof parsed === 'object') {
      const o = parsed as Record<string, unknown>;
      const r = [o.reason, o.message, o.error].find((v) => typeof v === 'string');
      if (typeof r === 'string') reason = r;
    }
  } catch {
    // Not JSON (or cut at the size bound): the plain text is the reason.
  }
  // The reason reaches the broadcaster and the logs: no control characters, a bounded length.
  reason = reason
    .replace(/\p{Cc}+/gu, ' ')
    .trim()
    .slice(0, MAX_REASON_CHARS);
  return reason || `refused by the authorisation service (HTTP ${status})`;
}
