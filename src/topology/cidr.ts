import net from 'node:net';

/** One client address range, e.g. 10.1.0.0/16 or 2001:db8:1::/48. */
export interface Cidr {
  text: string;
  prefix: number;
  list: net.BlockList;
}

/** A CIDR range, or the reason it is not one. */
export function parseCidr(text: string): Cidr | string {
  const slash = text.indexOf('/');
  if (slash < 0) return `"${text}" is not CIDR (ADDRESS/PREFIX)`;
  const address = text.slice(0, slash);
  const bits = text.slice(slash + 1);
  const family = net.isIP(address);
  if (family === 0) return `"${address}" is not an IP address`;
  const max = family === 4 ? 32 : 128;
  if (!/^\d{1,3}$/.test(bits) || Number(bits) > max) return `prefix of "${text}" must be 0-${max}`;
  const list = new net.BlockList();
  list.addSubnet(address, Number(bits), family === 4 ? 'ipv4' : 'ipv6');
  return { text, prefix: Number(bits), list };
}

/** Does the range hold this client address? IPv4-mapped IPv6 (::ffff:a.b.c.d) counts as IPv4. */
export function cidrHolds(cidr: Cidr, address: string): boolean {
  const family = net.isIP(address);
  if (family === 0) return false;
  return cidr.list.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

/**
 * The region whose ranges hold the address. Ranges may nest (a country inside a continent), so the
 * longest matching prefix wins, as in IP routing; undefined when no range holds it.
 */
export function regionOf(
  regions: ReadonlyArray<{ name: string; ranges: readonly Cidr[] }>,
  address: string,
): string | undefined {
  let best: { name: string; prefix: number } | undefined;
  for (const r of regions)
    for (const c of r.ranges)
      if ((best === undefined || c.prefix > best.prefix) && cidrHolds(c, address))
        best = { name: r.name, prefix: c.prefix };
  return best?.name;
}
