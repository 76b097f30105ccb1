import { encodeAmf0, type AmfValue } from './amf0.js';
import { ChunkWriter } from './chunk-writer.js';
import * as cmd from './commands.js';
import { CSID, MSG, OUT_CHUNK_SIZE, PEER_BANDWIDTH, USER_CONTROL, WINDOW_ACK_SIZE } from './protocol.js';

/**
 * Everything one connection sends, through its one ChunkWriter: the writer keeps per-chunk-stream
 * header state and our chunk size, so every part of the session must write through the same one.
 */
export class Replies {
  readonly #writer = new ChunkWriter();
  readonly #send: (data: Buffer) => void;

  constructor(send: (data: Buffer) => void) {
    this.#send = send;
  }

  command(streamId: number, values: AmfValue[], csid: number = CSID.command): void {
    const payload = encodeAmf0(...values);
    this.#send(this.#writer.write({ csid, typeId: MSG.commandAmf0, streamId, timestamp: 0, payload }));
  }

  /** An onStatus on the status chunk stream, where ffmpeg, OBS and FMS expect it. */
  status(streamId: number, level: 'status' | 'error', code: string, description: string): void {
    this.command(streamId, cmd.onStatus(level, code, description), CSID.status);
  }

  /** What a connect is answered with before its _result: our window, bandwidth and chunk size. */
  connectSettings(): void {
    const w = this.#writer;
    this.#send(
      Buffer.concat([
        w.windowAckSize(WINDOW_ACK_SIZE),
        w.setPeerBandwidth(PEER_BANDWIDTH),
        w.setChunkSize(OUT_CHUNK_SIZE),
      ]),
    );
  }

  ack(received: number): void {
    this.#send(this.#writer.ack(received));
  }

  pingResponse(value: number): void {
    this.#send(this.#writer.userControl(USER_CONTROL.pingResponse, value));
  }

  streamBegin(streamId: number): void {
    this.#send(this.#writer.streamBegin(streamId));
  }
}
