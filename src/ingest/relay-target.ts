import type { Logger } from '../util/logger.js';
import type { RelayConfig } from '../config/schema.js';
import { CorralError } from '../util/errors.js';
import { Relay, type Upstream } from './relay.js';
import { RtmpPublisher } from './rtmp-client.js';
import type { IngestSink, PublishRequest, PublishTarget } from './types.js';

/**
 * The PublishTarget of an ingest POP: instead of packaging, each publish is relayed to the central
 * ingest. open() waits for an upstream to accept, so a broadcaster refused upstream (a bad key) is
 * refused here too, with the upstream's reason.
 */
export class RelayTarget implements PublishTarget {
  readonly #cfg: RelayConfig;
  readonly #log: Logger;
  /** Live relays, for tests and shutdown. */
  readonly relays = new Set<Relay>();

  constructor(cfg: RelayConfig, log: Logger) {
    if (!cfg.primary) throw new CorralError('CONFIG_INVALID', 'the relay needs ingest.relay.primary');
    this.#cfg = cfg;
    this.#log = log;
  }

  async open(req: PublishRequest): Promise<IngestSink> {
    const query = this.#cfg.key ? new URLSearchParams({ key: this.#cfg.key }) : req.query;
    const q = query.toString();
    const stream = q ? `${req.name}?${q}` : req.name;
    const connect = (url: string): Promise<Upstream> =>
      RtmpPublisher.connect({ url, app: req.app, stream, timeoutMs: this.#cfg.connectTimeoutMs });
    const relay = new Relay({
      urls: [this.#cfg.primary, ...(this.#cfg.backup ? [this.#cfg.backup] : [])],
      connect,
      maxQueueBytes: this.#cfg.maxQueueBytes,
      primaryRetryMs: this.#cfg.primaryRetryMs,
      logger: this.#log.child({ stream: `${req.app}/${req.name}` }),
    });
    await relay.start();
    this.relays.add(relay);
    const end = relay.end.bind(relay);
    relay.end = (reason) => {
      this.relays.delete(relay);
      end(reason);
    };
    return relay;
  }
}
