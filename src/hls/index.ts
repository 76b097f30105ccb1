/** HLS playlists (RFC 8216, draft-pantos-hls-rfc8216bis): the model, text both ways, delivery directives. */
export type * from './model.js';
export type { PlaylistState } from './state.js';
export { DEFAULT_LIMITS, type ParseLimits } from './limits.js';
export { parseMediaPlaylist, parseMultivariantPlaylist, parsePlaylist } from './parse.js';
export {
  mediaPlaylistBytesBound,
  renderMediaPlaylist,
  renderMediaPlaylistWithDelta,
  renderMultivariantPlaylist,
  renderPlaylist,
} from './render.js';
export {
  firstListedMsn,
  liveEdge,
  mediaPlaylistInfo,
  nextMsn,
  type LiveEdge,
  type MediaPlaylistInfo,
} from './summary.js';
export * from './directives.js';
