import { isCorralError } from '../util/errors.js';

/**
 * What a stream does about each kind of trouble its parts report. One table, so the answer to
 * "what happens to viewers when X fails" is read here instead of pieced together from handlers.
 *
 * - restart: the component restarts itself under its configured retry policy (transcode
 *   maxRestarts); its renditions stay listed and the segments it misses become EXT-X-GAP.
 * - dropRenditions: the component is stopped and its renditions end (EXT-X-ENDLIST) and leave
 *   the multivariant playlist, which is pushed again; the passthrough carries on.
 * - endStream: this publisher session's media is no longer packaged (its transcoder stopped,
 *   its open segments closed); the playlists stay for a publisher that returns within the grace
 *   period, else they end as usual.
 * - republish: nothing more is sent; packaging goes on into the window (memory stays bounded by
 *   it), the origin is probed, and once it answers everything it should hold (multivariant, init
 *   segments, the window's segments and parts, playlists) is pushed again ahead of new media.
 *   Segments that scrolled out meanwhile are simply no longer listed.
 * - logAndContinue: logged; what follows supersedes it (the next playlist lists the next segment).
 */
export type StreamAction = 'restart' | 'dropRenditions' | 'endStream' | 'republish' | 'logAndContinue';

export type StreamProblem =
  /** ffmpeg could not run at all; retrying would fail the same way. */
  | 'transcoderSpawnFailed'
  /** ffmpeg died after starting; the transcoder restarts it. */
  | 'transcoderCrashed'
  /** ffmpeg crashed more times in a row than allowed: the transcoder gave up. */
  | 'transcoderFailed'
  /** One object was refused (a 4xx other than the credentials): the origin itself is fine. */
  | 'pushFailed'
  /** The origin could not be reached, or failed, through every retry: it is down or restarting. */
  | 'originUnreachable'
  /** A different origin process answered: whatever the old one held may be gone. */
  | 'originRestarted'
  /** The origin refuses this packager outright (bad push token): nothing will get through. */
  | 'originRejected'
  /** The publisher's codec configuration cannot be packaged. */
  | 'badSourceMedia'
  /** One transcoder output's codec configuration cannot be packaged. */
  | 'badTranscodedMedia';

export interface ActionRule {
  action: StreamAction;
  level: 'warn' | 'error';
  /** The log line, so operators see the consequence as well as the cause. */
  says: string;
}

export const ERROR_ACTIONS: Readonly<Record<StreamProblem, ActionRule>> = {
  transcoderSpawnFailed: {
    action: 'dropRenditions',
    level: 'error',
    says: 'transcoder failed to start; passthrough only',
  },
  transcoderCrashed: {
    action: 'restart',
    level: 'warn',
    says: 'transcoder crashed; it restarts unless out of retries',
  },
  transcoderFailed: {
    action: 'dropRenditions',
    level: 'error',
    says: 'transcoder gave up; passthrough only',
  },
  pushFailed: { action: 'logAndContinue', level: 'error', says: 'origin push failed' },
  originUnreachable: {
    action: 'republish',
    level: 'warn',
    says: 'origin unreachable; packaging into the window until it answers, then republishing it',
  },
  originRestarted: {
    action: 'republish',
    level: 'warn',
    says: 'origin restarted; republishing the window, init segments and playlists',
  },
  originRejected: {
    action: 'endStream',
    level: 'error',
    says: 'origin refused the push credentials; no longer packaging this session',
  },
  badSourceMedia: {
    action: 'endStream',
    level: 'error',
    says: 'stream media rejected; waiting for the publisher to leave',
  },
  badTranscodedMedia: { action: 'logAndContinue', level: 'error', says: 'transcoder output rejected' },
};

/** Which row a failed push falls under. */
export function pushProblem(e: unknown): StreamProblem {
  if (isCorralError(e, 'PUSH_UNAUTHORIZED')) return 'originRejected';
  // Retries exhausted on the network or 5xx: the origin, not this object, is the problem.
  return isCorralError(e) && e.recoverable ? 'originUnreachable' : 'pushFailed';
}

/** Which row a transcoder report falls under. */
export function transcoderProblem(kind: 'spawnFailed' | 'crashed' | 'failed'): StreamProblem {
  const rows = {
    spawnFailed: 'transcoderSpawnFailed',
    crashed: 'transcoderCrashed',
    failed: 'transcoderFailed',
  } as const;
  return rows[kind];
}
