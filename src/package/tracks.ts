import type { AacConfig, H264Config } from '../media/types.js';
import { parseAvcC, parseSps, avcCodecString } from '../media/h264.js';
import { parseAsc, aacCodecString } from '../media/aac.js';
import type { TrackInfo } from '../media/index.js';
import { CorralError } from '../util/errors.js';

export const VIDEO_TRACK_ID = 1;
export const AUDIO_TRACK_ID = 2;
export const VIDEO_TIMESCALE = 90_000;

/** What one session's codec configuration means for muxing and for the multivariant playlist. */
export interface SessionTracks {
  tracks: TrackInfo[];
  codecs: string[];
  video?: { width: number; height: number; lengthSize: number; frameRate?: number };
  audio?: { sampleRate: number; samplesPerFrame: number; channels: number };
}

/** Parse the publisher's decoder configs. Throws MEDIA_DECODE/CODEC_UNSUPPORTED on bad ones. */
export function describeTracks(video?: H264Config, audio?: AacConfig): SessionTracks {
  const out: SessionTracks = { tracks: [], codecs: [] };
  if (video) {
    const avc = parseAvcC(video.avcC);
    const sps = avc.sps[0];
    if (!sps) throw new CorralError('MEDIA_DECODE', 'avcC carries no SPS');
    const info = parseSps(sps);
    out.tracks.push({
      kind: 'video',
      id: VIDEO_TRACK_ID,
      timescale: VIDEO_TIMESCALE,
      avcC: video.avcC,
      width: info.width,
      height: info.height,
    });
    out.codecs.push(avcCodecString(avc));
    out.video = { width: info.width, height: info.height, lengthSize: avc.lengthSize };
    if (info.frameRate) out.video.frameRate = info.frameRate;
  }
  if (audio) {
    const asc = parseAsc(audio.asc);
    out.tracks.push({
      kind: 'audio',
      id: AUDIO_TRACK_ID,
      timescale: asc.sampleRate,
      asc: audio.asc,
      channels: asc.channels,
      sampleRate: asc.sampleRate,
    });
    out.codecs.push(aacCodecString(asc));
    out.audio = { sampleRate: asc.sampleRate, samplesPerFrame: asc.samplesPerFrame, channels: asc.channels };
  }
  if (out.tracks.length === 0) throw new CorralError('MEDIA_DECODE', 'stream has neither audio nor video');
  return out;
}
