/**
 * The Node floor: the least a Node process can spend receiving an RTMP publish. It answers the
 * handshake and the connect/createStream/publish commands (with corral's own RTMP parts, since a
 * broadcaster sends nothing until they are answered), then drops every byte, counting them. Its
 * reads take the same path as corral's ingest (the shared read buffer, no 'data' events), so what
 * it costs in the measured window is Node's and the kernel's per-read cost alone: event loop,
 * libuv, the V8 entry per read, the socket read. Run as its own process by cpu.ts:
 *
 *   node --import tsx bench/ingest/floor.ts PORT
 *
 * Acknowledgements are not sent: ffmpeg does not wait for them.
 */
import net from 'node:net';
import { loadConfig } from '../../src/config/load.js';
import { decodeAmf0 } from '../../src/ingest/amf0.js';
import { ChunkReader } from '../../src/ingest/chunk-reader.js';
import * as cmd from '../../src/ingest/commands.js';
import { ServerHandshake } from '../../src/ingest/handshake.js';
import { MSG } from '../../src/ingest/protocol.js';
import { Replies } from '../../src/ingest/replies.js';
import { adoptSharedReads } from '../../src/util/shared-reads.js';

/** corral's own default RTMP limits (the config schema's), so the commands parse as in corral. */
const LIMITS = loadConfig({ env: {} }).ingest;

let dropped = 0;

function serve(accepted: net.Socket): void {
  const handshake = new ServerHandshake();
  const reader = new ChunkReader(LIMITS);
  let socket = accepted;
  const replies = new Replies((d) => socket.write(d));
  let stage: 'handshake' | 'commands' | 'publishing' = 'handshake';
  const onRead = (data: Buffer): void => {
    if (stage === 'publishing') {
      dropped += data.length;
      return;
    }
    let rest = data;
    if (stage === 'handshake') {
      const r = handshake.feed(data);
      if (r.reply) socket.write(r.reply);
      if (!r.done) return;
      stage = 'commands';
      rest = r.rest;
    }
    for (const m of reader.push(rest)) {
      if (m.typeId !== MSG.commandAmf0) continue;
      const [name, txid] = decodeAmf0(m.payload);
      const tx = typeof txid === 'number' ? txid : 0;
      if (name === 'connect') {
        replies.connectSettings();
        replies.command(0, cmd.connectResult(tx));
      } else if (name === 'createStream') {
        replies.command(0, cmd.result(tx, 1));
      } else if (name === 'publish') {
        replies.status(1, 'status', 'NetStream.Publish.Start', 'publishing');
        // Anything after the publish command in this read is media: dropped from the next read on.
        stage = 'publishing';
      }
    }
  };
  const adopted = adoptSharedReads(accepted, onRead);
  if (adopted) {
    socket = adopted;
  } else {
    accepted.on('data', onRead);
    accepted.resume();
  }
  socket.on('error', () => socket.destroy());
}

const port = Number(process.argv[2]);
if (!Number.isInteger(port) || port <= 0 || port > 65535) {
  console.error('usage: node --import tsx bench/ingest/floor.ts PORT');
  process.exit(2);
}
const server = net.createServer({ pauseOnConnect: true }, serve);
server.listen(port, '127.0.0.1');
process.on('SIGTERM', () => {
  console.log(`dropped ${dropped} bytes`);
  process.exit(0);
});
