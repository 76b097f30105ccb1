import { z } from 'zod';

/**
 * The one configuration schema. Every key has a default that works on a single machine over
 * loopback; comments say why a value is what it is. Overrides come from a JSON file
 * (--config), env variables (CORRAL_RTMP__PORT=1935: "__" separates levels) and CLI flags,
 * in that order. Validation runs once at start-up and fails fast with every problem listed.
 */

const port = z.number().int().min(0).max(65535);
const host = z.string().min(1);

const rtmpUrl = z.union([z.literal(''), z.url({ protocol: /^rtmps?$/ })]);

export const relaySchema = z.strictObject({
  /**
   * The central ingest, rtmp://HOST:PORT[/APP] or rtmps://...; without an APP the broadcaster's is
   * used. Required by `corral relay`.
   */
  primary: rtmpUrl.default(''),
  /** Used when the primary refuses or is down; the relay goes back to the primary once it answers. */
  backup: rtmpUrl.default(''),
  /**
   * Stream key for the upstream publish ("?key=VALUE" on the name). Empty: the broadcaster's own
   * query (its key) is passed through, so the central ingest does the checking.
   */
  key: z.string().max(256).default(''),
  /** An upstream that has not said Publish.Start by then counts as down: failover stays within 3 s. */
  connectTimeoutMs: z.number().int().min(100).max(30_000).default(2_000),
  /**
   * Bytes one relayed publish may have waiting for a slow upstream. Past it non-key video is
   * dropped until the next keyframe, past twice it everything: a stalled upstream costs frames,
   * never unbounded memory or the broadcaster's connection. 8 MiB is a few seconds of 1080p.
   */
  maxQueueBytes: z
    .number()
    .int()
    .min(64 << 10)
    .default(8 << 20),
  /** While on the backup, how often the primary is tried again (each switch is one discontinuity). */
  primaryRetryMs: z.number().int().min(250).max(600_000).default(10_000),
});

export const ingestLimitsSchema = z.strictObject({
  /** Concurrent RTMP(S) connections; one publisher rarely needs more than one. */
  maxConnections: z.number().int().min(1).default(200),
  /** Largest Set Chunk Size a peer may announce. RTMP allows 2^31-1; nobody legit needs > 1 MiB. */
  maxChunkSize: z
    .number()
    .int()
    .min(128)
    .max(0x7fffffff)
    .default(1 << 20),
  /** Largest message we reassemble. A 4K keyframe is a few MB; this bounds a hostile peer. */
  maxMessageSize: z
    .number()
    .int()
    .min(1024)
    .max(1 << 28)
    .default(16 << 20),
  /**
   * Plain RTMP connections read into one buffer shared by all of them (Node's `onread`, as
   * cache.sharedReads): no Buffer, 'data' event or nextTick per read. Packaging one 720p stream,
   * the main thread's profile lost ~25 % of its samples with it. RTMPS, and runtimes without the
   * private hooks it needs, keep Node's ordinary reads.
   */
  sharedReads: z.boolean().default(true),
  /** Concurrent chunk streams per connection (ffmpeg and OBS use 3..8). */
  maxChunkStreams: z.number().int().min(4).max(65599).default(64),
  /**
   * Memory one connection may hold before it is closed: partial messages (by buffer capacity), the
   * queue held while a publish is decided, and replies its peer has not read (with a per-write cost).
   * While a publish is decided the socket's read-ahead (up to ~80 KiB) counts too, hence the floor.
   */
  maxBufferedBytes: z
    .number()
    .int()
    .min(256 << 10)
    .default(32 << 20),
  /**
   * Memory held for all connections together: what maxBufferedBytes counts, plus each RTMPS
   * connection's TLS state (~56 KiB). Without it 200 connections could each hold maxBufferedBytes;
   * the connection that crosses it is closed, and new connections are refused while it is crossed.
   */
  maxTotalBufferedBytes: z
    .number()
    .int()
    .min(256 << 10)
    .default(256 << 20),
  /**
   * A handshake slower than this is a scanner or a stuck peer. Counted from the TCP accept, so on
   * RTMPS the TLS and the RTMP handshake share it.
   */
  handshakeTimeoutMs: z.number().int().min(100).default(10_000),
  /** No bytes for this long from a connection: drop it (publishers send continuously). */
  idleTimeoutMs: z.number().int().min(100).default(30_000),
  /**
   * Handshake done but not publishing this long after it: closed. Counted from the handshake and
   * never reset by incoming bytes, so a peer trickling one byte at a time cannot hold a slot.
   */
  publishTimeoutMs: z.number().int().min(100).max(600_000).default(10_000),
  /**
   * Publish.Start sent but no audio or video yet after this long: the publish ends and the
   * connection closes, so a publish that never sends media frees its name and stream slot.
   */
  firstMediaTimeoutMs: z.number().int().min(100).max(600_000).default(5_000),
  /**
   * Publishing and no audio or video message for this long: the publish ends and the connection
   * closes. Only media counts; pings, acks and other control messages do not, because a frozen
   * encoder keeps answering those while sending nothing a viewer could use.
   */
  mediaTimeoutMs: z.number().int().min(100).max(600_000).default(10_000),
  /**
   * Open connections from one IP address (both ingest ports together). A broadcaster needs one
   * or two; without this one address could fill maxConnections and lock every publisher out.
   * IPv6 addresses count by their /64, because one host may use any address of its /64.
   */
  maxConnectionsPerAddress: z.number().int().min(1).default(8),
  /**
   * Stream keys per stream, keyed by "app/name": { "live/lecture": "s3cret" }, or a list of up to
   * two during a key rotation: { "live/lecture": ["old", "new"] }. The publisher passes the key as
   * ?key=VALUE on the stream name (or the tcUrl). A stream listed here takes its key from here
   * only; other streams use the global publishKey when one is set.
   */
  streamKeys: z
    .record(
      z.string().regex(/^[A-Za-z0-9_-]+\/[A-Za-z0-9_-]+$/),
      z.union([z.string().min(1).max(256), z.array(z.string().min(1).max(256)).min(1).max(2)]),
    )
    .default({}),
  /**
   * Optional HTTP authorisation callback, asked after the keys above pass: POST of JSON
   * {app, name, key, remote}; a 2xx answer allows, anything else denies with the reason given in
   * the body ({"reason": "..."} or plain text). Empty: no callback.
   */
  authUrl: z.union([z.literal(''), z.url({ protocol: /^https?$/ })]).default(''),
  /** The callback's deadline; no answer in time denies, so a hung service cannot hold publishes. */
  authTimeoutMs: z.number().int().min(100).max(30_000).default(2_000),
  /**
   * Takeover: a publish of a name that is already live replaces the old session at once when the
   * new publisher proved itself with a key (or the callback allowed it): a reconnecting encoder
   * must not be locked out by its own frozen connection. With no key configured for the stream and
   * no callback, anybody may publish, so a takeover is allowed only from the old session's IP
   * address and only once the old session has sent no media for this long; otherwise the publish
   * is refused with STREAM_BUSY and the healthy broadcaster keeps its stream.
   */
  takeoverQuietMs: z.number().int().min(0).max(600_000).default(1_000),
  /** `corral relay` (an ingest POP): where each accepted publish is forwarded, unchanged. */
  relay: relaySchema.prefault({}),
});

export const packageSchema = z.strictObject({
  /** Target segment duration. The broadcaster's GOP is the floor: segments cut only at keyframes. */
  segmentTargetS: z.number().min(0.25).max(10).default(1),
  /**
   * Segments listed in a media playlist. At least 3 target durations (RFC 8216 6.2.2); 10 leaves
   * room beyond LL-HLS's 6-target-duration skip boundary, so delta updates actually skip.
   */
  windowSegments: z.number().int().min(3).max(1000).default(10),
  /**
   * Manifest freshness: 'push' = LL-HLS (parts, preload hints, blocking reload; about a second
   * behind live), 'ttl' = plain HLS playlists cached for `playlistMaxAgeS` (easy, 3-4 s behind
   * live). Per-stream overrides in `streams`.
   */
  freshness: z.enum(['push', 'ttl']).default('push'),
  /** LL-HLS part target (EXT-X-PART-INF PART-TARGET), seconds. */
  partTargetS: z.number().min(0.1).max(2).default(0.334),
  /**
   * How long caches may keep a media playlist answered to a plain (non-blocking) request, whole
   * seconds. 0 = half a target duration, at least 1: a lifetime of 0 ("no-cache") makes every
   * commodity cache pass every poll to the origin, so 1 s is the floor at 1 s segments. Blocking
   * reloads keep their own, longer lifetime (their URL names one playlist version).
   */
  playlistMaxAgeS: z.number().int().min(0).max(5).default(0),
  /** Per-stream overrides keyed by "app/name", e.g. { "live/lecture": { "freshness": "ttl" } }. */
  streams: z
    .record(
      z.string().regex(/^[A-Za-z0-9_-]+\/[A-Za-z0-9_-]+$/),
      z.strictObject({
        freshness: z.enum(['push', 'ttl']).optional(),
        playlistMaxAgeS: z.number().int().min(0).max(5).optional(),
      }),
    )
    .default({}),
  /**
   * How long a segment stays downloadable after leaving the playlist, in seconds. A viewer that
   * fetched the playlist just before the segment left may still ask for it (RFC 8216 6.2.2).
   */
  availabilityS: z.number().min(1).max(3600).default(30),
  /** A stream whose publisher went away keeps its playlist this long, so a reconnect continues it. */
  reconnectGraceS: z.number().min(0).max(3600).default(30),
  /** A single segment longer than this is cut even without a keyframe guard (broken GOP). */
  maxSegmentS: z.number().min(1).max(60).default(10),
});

export const originSchema = z.strictObject({
  host: host.default('127.0.0.1'),
  /** The origin's own HTTP port (push receiver + serving). Viewers come through the cache tier. */
  port: port.default(8081),
  store: z.enum(['memory', 'disk']).default('memory'),
  /** Directory for the disk store. */
  dir: z.string().default('.corral/origin'),
  /** Byte budget of the store; oldest objects go first when it is exceeded. */
  maxBytes: z
    .number()
    .int()
    .min(1 << 20)
    .default(512 << 20),
  maxObjects: z.number().int().min(16).default(100_000),
  /** Largest object accepted over HTTP PUT. */
  maxObjectBytes: z
    .number()
    .int()
    .min(1024)
    .default(64 << 20),
  /** Bearer token the HTTP push receiver requires. Empty: HTTP push disabled (in-process only). */
  pushToken: z.string().default(''),
  /**
   * Authorization value the origin requires on GET/HEAD (the shields' `upstreamAuth`), so only
   * corral's own tiers read it; others get 401. Empty: anyone may read. /healthz stays open for
   * probes; pushes keep their own bearer token.
   */
  requireAuth: z.string().max(4096).default(''),
  /** Cache lifetime of immutable objects (init and media segments), seconds. */
  immutableMaxAgeS: z.number().int().min(1).default(86_400),
  /** Cache lifetime of a 404: short, because the object may appear a moment later. */
  notFoundMaxAgeS: z.number().int().min(0).max(10).default(1),
});

export const cacheSchema = z.strictObject({
  host: host.default('127.0.0.1'),
  /** The viewer port. */
  port: port.default(8080),
  /** Upstream base URL; empty means "the origin of this process". */
  upstream: z.string().default(''),
  /** Byte budget of the in-memory store (LRU). */
  maxBytes: z
    .number()
    .int()
    .min(1 << 20)
    .default(256 << 20),
  /** Largest single object kept; bigger ones are passed through uncached. */
  maxObjectBytes: z
    .number()
    .int()
    .min(1024)
    .default(32 << 20),
  /** Upstream response header deadline. */
  upstreamTimeoutMs: z.number().int().min(100).default(10_000),
  /** Name of this tier in X-Cache headers. */
  name: z.string().default('edge'),
  /**
   * Cache-blocking timeout: waiters are held this long on a fetch with no answer before exactly
   * one more upstream fetch is started for them (never a herd). A 1 s live segment normally
   * answers in well under a second, so 2 s means something upstream is stuck.
   */
  holdTimeoutMs: z.number().int().min(10).max(60_000).default(2_000),
  /** Upstream fetches one flight may have at once (1 = never re-elect; 2 = one hand-off). */
  leaderAttempts: z.number().int().min(1).max(4).default(2),
  /**
   * Upstream fetches this tier runs at once (and keep-alive sockets per upstream). Coalescing keeps
   * the need low; past it a fetch waits in a queue of `upstreamQueue`, and past that it fails at
   * once (a stale copy, or 503 with Retry-After): a tier under a flood sheds its own excess.
   */
  upstreamSockets: z.number().int().min(1).max(10_000).default(256),
  /** Fetches that may wait for one of the `upstreamSockets` slots before new ones are refused. */
  upstreamQueue: z.number().int().min(0).max(1_000_000).default(4096),
  /**
   * Plain TCP viewer connections read into one buffer shared by all of them (Node's `onread`)
   * instead of a Buffer and a 'data' event per read: 24-33 µs per cached request instead of 36-43
   * in bench/capacity. TLS connections, and runtimes without the private hooks it needs, keep
   * Node's ordinary reads. It was opt-in while, with refresh-first off, the in-process ttl player
   * test (test/e2e/freshness-modes.test.ts) stalled in 5 of 10 runs; playlistRefreshFirst 'auto'
   * covers ttl playlists since.
   */
  sharedReads: z.boolean().default(true),
  /**
   * Live rules: the first request for a plain media playlist past its lifetime waits for the
   * refresh it starts; only requests arriving meanwhile get the expired copy. 'auto' does so for
   * playlists without CAN-BLOCK-RELOAD (ttl freshness), where every player polls and a copy one
   * lifetime old at each tier stalled hls.js (test/e2e/freshness-modes.test.ts, 1 run in 8);
   * LL-HLS playlists keep stale-while-revalidate, because with fresher ones hls.js sits nearer
   * the live edge and the player matrix's broadcaster-reconnect case rebuffered past its bound
   * more often (docs/operations.md). 'always' and 'never' apply it to every live playlist or to none.
   */
  playlistRefreshFirst: z.enum(['auto', 'always', 'never']).default('auto'),
  /** Hold requests for live segments at most this many sequence numbers beyond the newest listed. */
  futureMaxAhead: z.number().int().min(0).max(10).default(2),
  /** ...for at most this many target durations before answering 404 no-store. */
  futureHoldFactor: z.number().min(0.1).max(10).default(1.5),
  /**
   * Processes serving the port (`corral edge|shield` only; node:cluster, shared socket). N > 1
   * uses N cores for cached hits; misses cost an IPC lease round trip to the primary and, on
   * workers that do not own the key, a loopback hop to the owner (one upstream fetch per node
   * still). Each worker keeps its own copy of what it serves, so memory is up to N x maxBytes.
   * 1 by default: an in-process node (`corral start`) and small hosts gain nothing from more.
   */
  workers: z.number().int().min(1).max(64).default(1),
  /**
   * The only query parameters that change an answer, so the only ones kept in the cache key and
   * sent upstream (sorted). Anything else (tokens, cache busters) would give every request a key
   * of its own and an origin fetch each. Add a name here for an upstream that needs one; ["*"]
   * keeps every parameter (an upstream whose objects are named by their query: bustable).
   */
  keyParams: z
    .array(z.string().regex(/^(?:[A-Za-z0-9_.~-]{1,64}|\*)$/))
    .max(32)
    .default(['_HLS_msn', '_HLS_part', '_HLS_skip']),
  /**
   * A 404/410 that says nothing about its lifetime is kept this long, so one missing URL asked
   * for again and again costs one upstream request per this interval (Varnish keeps one for 2
   * minutes, which hides a segment that appears a moment later). 0: such answers are not kept.
   */
  notFoundTtlMs: z.number().int().min(0).max(10_000).default(1_000),
  /**
   * Under a path prefix that has just answered 404, names this node has never seen listed or
   * answered reach upstream at most once per this interval; the rest get a local 404. Random
   * names under /live/x/ then cost one upstream request per interval, not one each.
   */
  unknownPathIntervalMs: z.number().int().min(0).max(60_000).default(1_000),
  /**
   * stale-if-error window, seconds, for answers whose Cache-Control names none: a stored copy
   * is served this long past its lifetime while the upstream is unreachable or answers 5xx
   * (an upstream's own stale-if-error wins). Keeps a region playing through a shield restart.
   */
  staleIfErrorS: z.number().int().min(0).max(86_400).default(30),
  /** A second upstream (another shield, or the origin) used while the first one is failing. */
  fallbackUpstream: z.string().default(''),
  /** Consecutive failures with no answer (refused, reset, timed out) that open an upstream's circuit. */
  breakerFailures: z.number().int().min(1).max(1_000).default(3),
  /** An open circuit lets one probe request through after this long (half-open). */
  breakerResetMs: z.number().int().min(100).max(600_000).default(2_000),
  /**
   * Authorization header value sent on every upstream request (tier-to-tier trust, e.g.
   * "Bearer s3cret"). When set, viewers' own Authorization headers are not forwarded: viewers are
   * authorised at the edge (playback tokens), and the upstream sees only this tier.
   */
  upstreamAuth: z.string().max(4096).default(''),
  /**
   * Authorization header value this node requires from its clients (a shield requiring its
   * edges); others get 401. Consumed here: it never reaches the cache key or the upstream.
   */
  requireAuth: z.string().max(4096).default(''),
  /** PEM files: both set, the viewer listener speaks HTTPS. */
  tlsCert: z.string().default(''),
  tlsKey: z.string().default(''),
  /** PEM file of extra CA certificates trusted for an https upstream (a private CA). */
  upstreamCa: z.string().default(''),
  /** Signed playback tokens (src/cache/token.ts), checked here with no upstream round trip. */
  playback: z
    .strictObject({
      /**
       * HMAC-SHA256 secrets; a token signed with any of them is accepted, so a rotation lists the
       * new secret first and keeps the old one until its tokens have expired. The first signs.
       */
      secrets: z.array(z.string().min(16).max(256)).max(2).default([]),
      /**
       * Streams that require a token: "app/name" for one stream, "app/" for every stream of an
       * app. Empty: no stream requires one.
       */
      streams: z
        .array(z.string().regex(/^[A-Za-z0-9_-]+\/([A-Za-z0-9_-]+)?$/))
        .max(10_000)
        .default([]),
    })
    .refine((p) => p.streams.length === 0 || p.secrets.length > 0, {
      message: 'playback.streams needs at least one playback.secrets entry',
    })
    .prefault({}),
  /**
   * Graceful degradation under this node's own load (issue 11). Past a limit the node bends in
   * steps, one per `escalateMs` while load stays past it: 1) new viewers get a multivariant
   * playlist without the top `dropRungs` video rungs; 2) also playlists with twice the hold-back
   * and lifetime (more delay, fewer reloads); 3) also new sessions (multivariant requests) get
   * 503 with Retry-After. Viewers already watching keep getting playlists and segments at every
   * step. A step is undone after `relaxMs` below `relaxBelow` of every limit. Each limit 0 = off.
   */
  degrade: z
    .strictObject({
      /** Bits per second written to viewers, in Mbit/s (the NIC or the plan's share). */
      egressMbps: z.number().min(0).default(0),
      /** Open viewer connections. */
      connections: z.number().int().min(0).default(0),
      /** Event-loop delay p99 over the last second, ms (the CPU is the bottleneck). */
      loopLagMs: z.number().min(0).default(0),
      escalateMs: z.number().int().min(100).max(600_000).default(2_000),
      relaxMs: z.number().int().min(100).max(3_600_000).default(10_000),
      relaxBelow: z.number().min(0.1).max(1).default(0.8),
      dropRungs: z.number().int().min(1).max(16).default(1),
      retryAfterS: z.number().int().min(1).max(3_600).default(5),
    })
    .prefault({}),
});

const ladderRungSchema = z.strictObject({
  /** Output height in lines; the width follows the source's aspect ratio. */
  height: z.number().int().min(64).max(4320),
  /** Target video bitrate. Audio is copied from the source, not re-encoded. */
  videoKbps: z.number().int().min(50).max(100_000),
});

/**
 * The adaptive-bitrate transcoder (ffmpeg children, one per live stream). The source itself is
 * always kept as a passthrough rendition and the audio-only rendition comes from the passthrough
 * audio, so neither appears here.
 */
export const transcodeSchema = z.strictObject({
  /** Off: passthrough (and audio-only) renditions only, no ffmpeg. */
  enabled: z.boolean().default(true),
  /** Renditions, top first. A rung taller than the source is skipped: never upscale (and see sourceHeightRung). */
  ladder: z
    .array(ladderRungSchema)
    .min(1)
    .default([
      { height: 1080, videoKbps: 5000 },
      { height: 720, videoKbps: 2800 },
      { height: 480, videoKbps: 1200 },
      { height: 360, videoKbps: 700 },
    ]),
  /**
   * Also encode a rung at the source's own height. Off: the passthrough is that rendition, and
   * a second x264 encode at the same size costs a whole rung of CPU that no viewer needs. On:
   * a bitrate-capped copy for sources sent at far more than the rung's rate.
   */
  sourceHeightRung: z.boolean().default(false),
  /** libx264 runs anywhere; the others need the matching GPU and an ffmpeg built with them. */
  encoder: z.enum(['libx264', 'h264_nvenc', 'h264_vaapi', 'h264_qsv']).default('libx264'),
  /** x264 / QSV preset. veryfast keeps a 720p ladder at ~3x real time on 2 cores. */
  preset: z
    .string()
    .regex(/^[a-z0-9]+$/)
    .default('veryfast'),
  /** NVENC preset (p1 fastest .. p7 best) with tune=ll. */
  nvencPreset: z
    .string()
    .regex(/^[a-z0-9]+$/)
    .default('p2'),
  /** DRM render node for h264_vaapi. */
  vaapiDevice: z.string().default('/dev/dri/renderD128'),
  /**
   * 'source': keyframes exactly where the broadcaster's are, so every rendition cuts where the
   * passthrough cuts. 'interval': one every keyframeIntervalS (aligns the transcoded renditions
   * with each other, not with the passthrough).
   */
  keyframes: z.enum(['source', 'interval']).default('source'),
  keyframeIntervalS: z.number().min(0.25).max(10).default(1),
  /** Bytes queued on ffmpeg's stdin before non-key video frames are dropped (bounded buffer). */
  maxInputBufferBytes: z
    .number()
    .int()
    .min(64 << 10)
    .default(8 << 20),
  /** A run that dies within this long of spawning, before any output, failed to start. */
  spawnGraceMs: z.number().int().min(100).max(10_000).default(1_000),
  /** stop(): SIGTERM this long after closing stdin, then SIGKILL after the same again. */
  stopGraceMs: z.number().int().min(50).max(30_000).default(2_000),
  /** Restarts after crashes before giving up; the count resets once a run stays up 30 s. */
  maxRestarts: z.number().int().min(0).max(100).default(5),
  /** First restart delay, doubled per consecutive crash and capped so a restart is within 3 s. */
  restartDelayMs: z.number().int().min(0).max(3_000).default(250),
  /**
   * Falling behind: a progress report (every 0.5 s) counts as slow when speed < slowSpeed and
   * ffmpeg's output lags what we fed it by at least slowLagMs (with live input speed hovers at
   * 1.0 even when all is well, so the lag is what tells a slow encoder from a slow broadcaster).
   */
  slowSpeed: z.number().min(0.1).max(100).default(1),
  slowLagMs: z.number().int().min(0).max(60_000).default(1_000),
  /** Consecutive slow reports before degrading one step. */
  slowReports: z.number().int().min(1).max(1_000).default(5),
});

export type TranscodeConfig = z.infer<typeof transcodeSchema>;

/**
 * The shield is the same component as the edge with its own defaults: it serves many edges, so
 * it hands a stalled fetch off sooner than they do (their waiters then never need a hand-off),
 * holds a region's working set rather than a POP's, and keeps more sockets to the origin for the
 * pass-through traffic of all those edges. `corral shield` and the shield in `corral start` both
 * read this section.
 */
export const shieldSchema = cacheSchema.extend({
  port: port.default(8082),
  name: z.string().default('shield'),
  holdTimeoutMs: z.number().int().min(10).max(60_000).default(1_500),
  maxBytes: z
    .number()
    .int()
    .min(1 << 20)
    .default(1 << 30),
  upstreamSockets: z.number().int().min(1).max(10_000).default(512),
});

export const configSchema = z.strictObject({
  rtmp: z
    .strictObject({
      enabled: z.boolean().default(true),
      host: host.default('0.0.0.0'),
      port: port.default(1935),
    })
    .prefault({}),
  rtmps: z
    .strictObject({
      enabled: z.boolean().default(true),
      host: host.default('0.0.0.0'),
      port: port.default(1936),
      /** PEM files. Both empty: a self-signed certificate for localhost is generated at start. */
      certFile: z.string().default(''),
      keyFile: z.string().default(''),
    })
    .prefault({}),
  /** RTMP application names accepted for publishing. */
  apps: z.array(z.string().regex(/^[A-Za-z0-9_-]{1,64}$/)).default(['live']),
  /** Optional stream key: when set, publishers must pass ?key=VALUE on the stream name. */
  publishKey: z.string().default(''),
  ingest: ingestLimitsSchema.prefault({}),
  package: packageSchema.prefault({}),
  origin: originSchema.prefault({}),
  /** The edge: the viewer port of `corral start`, and `corral edge`. */
  cache: cacheSchema.prefault({}),
  /**
   * The regional shield between the edge and the origin in `corral start` (same component,
   * shield defaults). Off: the edge talks to the origin directly.
   */
  shield: shieldSchema.prefault({}),
  tiers: z
    .strictObject({
      shield: z.boolean().default(true),
      /**
       * `corral start` only: the tiers of the one process keep each segment's bytes once. A tier
       * still fetches over loopback HTTP as separate machines would; a body whose bytes equal the
       * origin's (or the tier above's) copy keeps that copy instead of its own.
       */
      shareBodies: z.boolean().default(true),
    })
    .prefault({}),
  transcode: transcodeSchema.prefault({}),
  /** Most live streams at once across all publishers. */
  maxStreams: z.number().int().min(1).default(64),
  ffmpegPath: z.string().default(''),
  logLevel: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
  /**
   * How far V8's old generation may grow past what the last full GC kept before the next full GC,
   * in percent (V8's --heap-growing-percent); 0 leaves it to V8. A corral process keeps a small,
   * steady heap (~20 MB) and promotes a little of every part and playlist: V8's own choice for
   * such a heap is ~1.15x, a full GC every ~3 s that marks the whole heap for ~1 MB of garbage.
   * At 100 it comes every 10-15 s; measured on one transcoded stream, Node's CPU fell by ~20 %.
   * The cost is memory: up to this share of the live heap more (~20 MB at 100).
   */
  heapGrowthPercent: z.number().int().min(0).max(400).default(100),
});

export type Config = z.infer<typeof configSchema>;
export type IngestLimits = z.infer<typeof ingestLimitsSchema>;
export type RelayConfig = z.infer<typeof relaySchema>;
export type PackageConfig = z.infer<typeof packageSchema>;
export type OriginConfig = z.infer<typeof originSchema>;
export type CacheConfig = z.infer<typeof cacheSchema>;
