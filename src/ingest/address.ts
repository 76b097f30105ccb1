import net from 'node:net';

/** "::ffff:10.0.0.1" and "10.0.0.1" are one peer: the per-address count and takeover agree on it. */
export function peerAddress(raw: string | undefined): string {
  if (!raw) return 'unknown';
  return raw.startsWith('::ffff:') && raw.includes('.') ? raw.slice(7) : raw;
}

/**
 * The key maxConnectionsPerAddress counts under: an IPv4 address as it is (IPv4-mapped IPv6 in
 * either spelling included), an IPv6 address by its /64, written "2001:db8:1:2::/64". One
 * subscriber is routinely given a whole /64 and picks addresses in it at will, so counting exact
 * IPv6 addresses would not bound anybody.
 */
export function addressGroup(raw: string | undefined): string {
  const address = peerAddress(raw);
  // A zone (fe80::1%eth0) names the local interface, not the peer.
  const bare = address.split('%')[0]!;
  if (!net.isIPv6(bare)) return address;
  const groups = ipv6Groups(bare);
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    const [hi, lo] = [groups[6]!, groups[7]!];
    return [hi >> 8, hi & 0xff, lo >> 8, lo & 0xff].join('.');
  }
  return `${groups
    .slice(0, 4)
    .map((g) => g.toString(16))
    .join(':')}::/64`;
}

/** The eight 16-bit groups of a valid IPv6 address ("::" expanded, a dotted IPv4 tail converted). */
function ipv6Groups(address: string): number[] {
  const toGroups = (part: string): number[] => {
    if (part === '') return [];
    const out: number[] = [];
    for (const piece of part.split(':')) {
      if (piece.includes('.')) {
        const [a, b, c, d] = piece.split('.').map(Number) as [number, number, number, number];
        out.push((a << 8) | b, (c << 8) | d);
      } else {
        out.push(parseInt(piece, 16));
      }
    }
    return out;
  };
  const gap = address.indexOf('::');
  if (gap < 0) return toGroups(address);
  const head = toGroups(address.slice(0, gap));
  const tail = toGroups(address.slice(gap + 2));
  return [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
}
