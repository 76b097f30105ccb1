/** LL-HLS blocking playlist reload (draft-pantos-hls-rfc8216bis 6.2.5.2): the URL names one version. */
export function isBlockingReload(url: string): boolean {
  return /[?&]_HLS_(msn|part)=/.test(url);
}
