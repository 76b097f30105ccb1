/** Where the load generator sends its requests: one server (the edge under test). */
export interface Target {
  host: string;
  port: number;
}

/** One GET as a viewer saw it. */
export interface FetchResult {
  /** 0 when no response arrived. */
  status: number;
  bytes: number;
  /** From the request being handed a socket to the last body byte. */
  ms: number;
  /** Waiting for a free pooled socket before that. */
  queueMs: number;
  text?: string;
  xCache?: string;
  error?: string;
}
