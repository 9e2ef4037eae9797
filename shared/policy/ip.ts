/** IPv4/IPv6 address and CIDR parsing for the IpAddress / NotIpAddress condition operators. */

export interface ParsedCidr {
  family: 4 | 6;
  network: bigint;
  prefix: number;
}

function parseIpv4(text: string): bigint | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0n;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part)) return undefined;
    const n = Number(part);
    if (n > 255) return undefined;
    value = (value << 8n) | BigInt(n);
  }
  return value;
}

function parseIpv6(text: string): bigint | undefined {
  let source = text;
  if (source.includes('%')) return undefined;
  // An embedded IPv4 tail (::ffff:1.2.3.4) becomes two hex groups.
  const lastColon = source.lastIndexOf(':');
  const tailText = source.slice(lastColon + 1);
  if (tailText.includes('.')) {
    const v4 = parseIpv4(tailText);
    if (v4 === undefined) return undefined;
    source = `${source.slice(0, lastColon + 1)}${((v4 >> 16n) & 0xffffn).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  const halves = source.split('::');
  if (halves.length > 2) return undefined;
  const parseGroups = (s: string): number[] | undefined => {
    if (s === '') return [];
    const out: number[] = [];
    for (const g of s.split(':')) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
      out.push(parseInt(g, 16));
    }
    return out;
  };
  const head = parseGroups(halves[0] as string);
  const rest = halves.length === 2 ? parseGroups(halves[1] as string) : [];
  if (!head || !rest) return undefined;
  let groups: number[];
  if (halves.length === 2) {
    const missing = 8 - head.length - rest.length;
    if (missing < 1) return undefined;
    groups = [...head, ...new Array<number>(missing).fill(0), ...rest];
  } else groups = head;
  if (groups.length !== 8) return undefined;
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(g), 0n);
}

/** Parses an address (`1.2.3.4`, `2001:db8::1`) or CIDR (`10.0.0.0/8`, `2001:db8::/32`); undefined when invalid. */
export function parseCidr(text: string): ParsedCidr | undefined {
  const trimmed = text.trim();
  const slash = trimmed.indexOf('/');
  const address = slash >= 0 ? trimmed.slice(0, slash) : trimmed;
  const prefixText = slash >= 0 ? trimmed.slice(slash + 1) : undefined;
  const isV6 = address.includes(':');
  const value = isV6 ? parseIpv6(address) : parseIpv4(address);
  if (value === undefined) return undefined;
  const bits = isV6 ? 128 : 32;
  let prefix = bits;
  if (prefixText !== undefined) {
    if (!/^\d{1,3}$/.test(prefixText)) return undefined;
    prefix = Number(prefixText);
    if (prefix > bits) return undefined;
  }
  const mask = prefix === 0 ? 0n : ((1n << BigInt(prefix)) - 1n) << BigInt(bits - prefix);
  return { family: isV6 ? 6 : 4, network: value & mask, prefix };
}

/** True when the address lies inside the CIDR (same family only). */
export function cidrContains(cidr: ParsedCidr, address: string): boolean {
  const ip = parseCidr(address);
  if (!ip || ip.family !== cidr.family || ip.prefix !== (ip.family === 6 ? 128 : 32)) return false;
  const bits = cidr.family === 6 ? 128 : 32;
  const mask = cidr.prefix === 0 ? 0n : ((1n << BigInt(cidr.prefix)) - 1n) << BigInt(bits - cidr.prefix);
  return (ip.network & mask) === cidr.network;
}
