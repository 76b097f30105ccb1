/**
 * ffmpeg's -progress output: blocks of key=value lines, each block closed by progress=continue
 * (or progress=end on the last). Key names are the same in ffmpeg 4.1 and 5.x, except that
 * out_time_us is 4.2+ (out_time_ms, despite its name, is also microseconds).
 */
export interface FfmpegProgress {
  /** Frames encoded so far (first output's counter). */
  frame: number | undefined;
  fps: number | undefined;
  /** Encoded media time over wall time since start; undefined while ffmpeg reports N/A. */
  speed: number | undefined;
  dropFrames: number;
  dupFrames: number;
  /** Output position in ms. */
  outTimeMs: number | undefined;
  end: boolean;
}

function num(s: string | undefined): number | undefined {
  if (s === undefined) return undefined;
  const n = Number.parseFloat(s);
  return Number.isFinite(n) ? n : undefined;
}

/** Line-oriented parser; bounded: an over-long line (never valid progress) is dropped. */
export class ProgressParser {
  #partial = '';
  #fields = new Map<string, string>();

  push(chunk: Buffer | string): FfmpegProgress[] {
    const text = this.#partial + chunk.toString();
    const lines = text.split('\n');
    this.#partial = lines.pop() ?? '';
    if (this.#partial.length > 4096) this.#partial = '';
    const out: FfmpegProgress[] = [];
    for (const raw of lines) {
      const line = raw.trim();
      const eq = line.indexOf('=');
      if (eq <= 0) continue;
      const key = line.slice(0, eq);
      const value = line.slice(eq + 1).trim();
      if (key !== 'progress') {
        if (this.#fields.size < 256) this.#fields.set(key, value);
        continue;
      }
      out.push(this.#block(value === 'end'));
      this.#fields.clear();
    }
    return out;
  }

  #block(end: boolean): FfmpegProgress {
    const f = this.#fields;
    const us = num(f.get('out_time_us')) ?? num(f.get('out_time_ms'));
    return {
      frame: num(f.get('frame')),
      fps: num(f.get('fps')),
      speed: num(f.get('speed')?.replace(/x$/, '')),
      dropFrames: num(f.get('drop_frames')) ?? 0,
      dupFrames: num(f.get('dup_frames')) ?? 0,
      outTimeMs: us === undefined || us < 0 ? undefined : us / 1000,
      end,
    };
  }
}
