import net from 'node:net';

/**
 * Reads of every adopted connection (the cache front's, the RTMP ingest's) land in this one buffer
 * and are handed over synchronously: the receiver keeps nothing of it past the call (the front,
 * the RTMP handshake and the chunk reader copy what they keep; on a cached hit that is nothing).
 * One event loop, one read at a time, so one buffer serves all sockets.
 */
const SHARED = Buffer.allocUnsafe(64 * 1024);

/** What Node gives a net.Server's connection: the private handle we move to a new Socket. */
interface WithHandle {
  _handle?: PipeHandle | null;
  server: net.Server | null;
  _server: net.Server | null;
}

/**
 * A connection accepted with `pauseOnConnect` (no byte read yet), moved to a Socket whose reads go
 * straight to `onRead` with no stream machinery per read: no Buffer allocated, no 'data' event, no
 * nextTick. Node offers this (`onread`) only to sockets it creates itself, so the accepted handle
 * is moved over; the server's connection count moves with it. Everything else (writes, timeouts,
 * 'end', 'close', pause/resume) is the ordinary Socket's.
 *
 * Measured on this machine with a bare server answering 2 KB (wrk, one core each): 97k req/s with
 * 'data' events, 124k with this. Returns undefined, leaving the socket untouched, when the runtime
 * does not look as expected (then the caller resumes it and reads 'data').
 */
export function adoptSharedReads(
  socket: net.Socket,
  onRead: (chunk: Buffer) => void,
): net.Socket | undefined {
  const from = socket as net.Socket & WithHandle;
  const handle = movableHandle(from);
  if (handle === undefined || socket.bytesWritten > 0) return undefined;
  from._handle = null;
  const to = moveTo(handle, true, onRead);
  // The server counts connections by their close; the new socket is the one that will close.
  to.server = from.server;
  to._server = from._server;
  from.server = null;
  from._server = null;
  return to;
}

/** The handle of a plain net.Socket whose reads can go to a user buffer; undefined otherwise. */
function movableHandle(socket: net.Socket & WithHandle): PipeHandle | undefined {
  const handle = socket._handle;
  if (socket.constructor !== net.Socket || handle === undefined || handle === null) return undefined;
  return typeof handle.useUserBuffer === 'function' ? handle : undefined;
}

function moveTo(handle: object, writable: boolean, onRead: (chunk: Buffer) => void): net.Socket & WithHandle {
  return new net.Socket({
    handle,
    readable: true,
    writable,
    onread: { buffer: SHARED, callback: (n: number) => onRead(SHARED.subarray(0, n)) },
  } as net.SocketConstructorOpts) as net.Socket & WithHandle;
}

/**
 * The same for a pipe Node opened and already reads with its own buffers: a child process's output
 * (`child.stdio[n]`). Its reads are stopped and its handle moved to a read-only Socket whose reads
 * go to `onRead`, lent as above. The child's 'close' waits for the original Socket, which no longer
 * reads: it is destroyed when the new one closes (end of the pipe, or destroy()). Returns undefined,
 * leaving the socket untouched, when the runtime does not look as expected or a byte was read.
 */
export function lendPipeReads(socket: net.Socket, onRead: (chunk: Buffer) => void): net.Socket | undefined {
  const from = socket as net.Socket & WithHandle;
  const handle = movableHandle(from);
  if (
    handle === undefined ||
    typeof handle.readStop !== 'function' ||
    socket.bytesRead > 0 ||
    socket.readableLength > 0
  ) {
    return undefined;
  }
  // libuv refuses to start a stream that is reading already; the new Socket starts it again.
  if (handle.reading === true) {
    handle.readStop();
    handle.reading = false;
  }
  from._handle = null;
  const to = moveTo(handle, false, onRead);
  to.once('close', () => from.destroy());
  return to;
}

interface PipeHandle {
  useUserBuffer?: unknown;
  readStop?: () => number;
  reading?: boolean;
}
