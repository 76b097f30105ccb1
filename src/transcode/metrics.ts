import { Counter, Gauge, type Registry } from 'prom-client';

/** The transcoder's Prometheus metrics for one stream. Without a registry every call is a no-op. */
export interface TranscodeMetrics {
  progress(p: { speed: number | undefined; fps: number | undefined; droppedDelta: number }): void;
  restart(): void;
  inputDropped(): void;
  degradeLevel(level: number): void;
  /** Forget this stream's gauge series (bounded label cardinality once streams come and go). */
  remove(): void;
}

const noop: TranscodeMetrics = {
  progress() {},
  restart() {},
  inputDropped() {},
  degradeLevel() {},
  remove() {},
};

// Every stream's Transcoder shares one registry: reuse series already registered by another.
function getOrCreate<T>(registry: Registry, name: string, make: () => T): T {
  return (registry.getSingleMetric(name) as T | undefined) ?? make();
}

function gauge(registry: Registry, name: string, help: string): Gauge<'stream'> {
  return getOrCreate(
    registry,
    name,
    () => new Gauge({ name, help, labelNames: ['stream'], registers: [registry] }),
  );
}

function counter(registry: Registry, name: string, help: string): Counter<'stream'> {
  return getOrCreate(
    registry,
    name,
    () => new Counter({ name, help, labelNames: ['stream'], registers: [registry] }),
  );
}

export function transcodeMetrics(registry: Registry | undefined, stream: string): TranscodeMetrics {
  if (!registry) return noop;
  const speed = gauge(registry, 'corral_transcode_speed', 'ffmpeg speed (1.0 = real time)');
  const fps = gauge(registry, 'corral_transcode_fps', 'ffmpeg encoded frames per second');
  const level = gauge(registry, 'corral_transcode_degrade_level', 'Degrade steps taken (0 = full ladder)');
  const dropped = counter(registry, 'corral_transcode_dropped_frames_total', 'Frames ffmpeg dropped');
  const restarts = counter(registry, 'corral_transcode_restarts_total', 'ffmpeg restarts after a crash');
  const inputDropped = counter(
    registry,
    'corral_transcode_input_dropped_frames_total',
    'Frames not sent to ffmpeg (input buffer full, or no process running)',
  );
  const l = { stream };
  return {
    progress(p) {
      if (p.speed !== undefined) speed.set(l, p.speed);
      if (p.fps !== undefined) fps.set(l, p.fps);
      if (p.droppedDelta > 0) dropped.inc(l, p.droppedDelta);
    },
    restart: () => restarts.inc(l),
    inputDropped: () => inputDropped.inc(l),
    degradeLevel: (n) => level.set(l, n),
    remove() {
      speed.remove(l);
      fps.remove(l);
      level.remove(l);
    },
  };
}
