/** RTMP 1.0 message type ids, user control events and chunk stream ids this server uses. */

export const MSG = {
  setChunkSize: 1,
  abort: 2,
  ack: 3,
  userControl: 4,
  windowAckSize: 5,
  setPeerBandwidth: 6,
  audio: 8,
  video: 9,
  dataAmf3: 15,
  sharedObjectAmf3: 16,
  commandAmf3: 17,
  dataAmf0: 18,
  sharedObjectAmf0: 19,
  commandAmf0: 20,
  aggregate: 22,
} as const;

export const USER_CONTROL = {
  streamBegin: 0,
  streamEof: 1,
  streamDry: 2,
  setBufferLength: 3,
  streamIsRecorded: 4,
  pingRequest: 6,
  pingResponse: 7,
} as const;

/** Outbound chunk stream ids, following the common practice of ffmpeg, nginx-rtmp and FMS. */
export const CSID = {
  control: 2,
  command: 3,
  status: 5,
} as const;

/** Window sizes we announce: large enough that ffmpeg/OBS never stall waiting for our acks. */
export const WINDOW_ACK_SIZE = 5_000_000;
export const PEER_BANDWIDTH = 5_000_000;
/** Outbound chunk size after connect: fewer chunk headers for our (small) replies. */
export const OUT_CHUNK_SIZE = 4096;
