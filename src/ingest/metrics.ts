import { Counter, Gauge, type Registry } from 'prom-client';

/** The ingest's Prometheus metrics. Without a registry every call is a no-op. */
export interface IngestMetrics {
  connections(delta: number): void;
  bytes(n: number): void;
  rejected(code: string): void;
  publishing(delta: number): void;
  tlsError(): void;
}

const noop: IngestMetrics = {
  connections() {},
  bytes() {},
  rejected() {},
  publishing() {},
  tlsError() {},
};

// Two servers on one registry (plain and a second instance in tests) share the same series
// rather than failing on a duplicate registration.
function getOrCreate<T>(registry: Registry, name: string, make: () => T): T {
  return (registry.getSingleMetric(name) as T | undefined) ?? make();
}

export function ingestMetrics(registry: Registry | undefined): IngestMetrics {
  if (!registry) return noop;
  const registers = [registry];
  const connections = getOrCreate(
    registry,
    'corral_rtmp_connections',
    () => new Gauge({ name: 'corral_rtmp_connections', help: 'Open RTMP(S) connections', registers }),
  );
  const bytes = getOrCreate(
    registry,
    'corral_rtmp_bytes_received_total',
    () =>
      new Counter({
        name: 'corral_rtmp_bytes_received_total',
        help: 'Bytes received from RTMP(S) connections',
        registers,
      }),
  );
  const rejected = getOrCreate(
    registry,
    'corral_rtmp_rejected_total',
    () =>
      new Counter({
        name: 'corral_rtmp_rejected_total',
        help: 'Refused connections and publishes, by error code',
        labelNames: ['code'],
        registers,
      }),
  );
  const publishing = getOrCreate(
    registry,
    'corral_rtmp_publishing',
    () =>
      new Gauge({ name: 'corral_rtmp_publishing', help: 'Streams being published over RTMP(S)', registers }),
  );
  const tls = getOrCreate(
    registry,
    'corral_rtmp_tls_errors_total',
    () =>
      new Counter({
        name: 'corral_rtmp_tls_errors_total',
        help: 'RTMPS connections that failed the TLS handshake',
        registers,
      }),
  );
  return {
    connections: (d) => connections.inc(d),
    bytes: (n) => bytes.inc(n),
    rejected: (code) => rejected.inc({ code }),
    publishing: (d) => publishing.inc(d),
    tlsError: () => tls.inc(),
  };
}
