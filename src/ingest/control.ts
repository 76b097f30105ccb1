import { CorralError } from '../util/errors.js';
import type { RtmpMessage } from './chunk-reader.js';
import { MSG, USER_CONTROL } from './protocol.js';
import type { Replies } from './replies.js';

/**
 * Protocol control and user control messages: the peer's acknowledgement window and pings. Set
 * Chunk Size and Abort never get here; the chunk reader acts on them itself.
 */
export class ControlMessages {
  readonly #replies: Replies;
  #peerWindow = 0;
  #lastAck = 0;

  constructor(replies: Replies) {
    this.#replies = replies;
  }

  /** `total` bytes have arrived so far: acknowledge them once a window's worth is unacknowledged. */
  received(total: number): void {
    if (this.#peerWindow > 0 && total - this.#lastAck >= this.#peerWindow) {
      this.#lastAck = total;
      this.#replies.ack(total);
    }
  }

  /** false when `m` is not a control message, so the caller handles it. */
  handle(m: RtmpMessage): boolean {
    switch (m.typeId) {
      case MSG.ack:
      case MSG.setPeerBandwidth:
        return true;
      case MSG.windowAckSize:
        if (m.payload.length < 4) throw new CorralError('RTMP_PROTOCOL', 'Window Ack Size message too short');
        this.#peerWindow = m.payload.readUInt32BE(0);
        return true;
      case MSG.userControl:
        this.#userControl(m.payload);
        return true;
      default:
        return false;
    }
  }

  #userControl(p: Buffer): void {
    if (p.length < 2) throw new CorralError('RTMP_PROTOCOL', 'User Control message too short');
    const event = p.readUInt16BE(0);
    if (event === USER_CONTROL.pingRequest && p.length >= 6) this.#replies.pingResponse(p.readUInt32BE(2));
  }
}
