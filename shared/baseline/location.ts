import { parseCidr } from '../policy/ip.ts';
import { countryOf } from './ip-country.ts';

/** Where a sign-in came from, as the baseline remembers it. */
export interface Location {
  /** IPv4 /24 or IPv6 /48 (`203.0.113.0/24`, `2001:db8:12::/48`). */
  network: string;
  /** ISO 3166-1 alpha-2 from the offline snapshot, undefined when it has none. */
  country?: string;
}

/** Private, shared, loopback, link-local and documentation space: no network a sign-in is judged by (documentation ranges have a network, never a country). */
const NOT_PUBLIC: Array<[4 | 6, bigint, bigint]> = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10', '127.0.0.0/8', '169.254.0.0/16', '0.0.0.0/8', 'fc00::/7', 'fe80::/10', '::1/128', '::/128'].map(range);
const DOCUMENTATION: Array<[4 | 6, bigint, bigint]> = ['192.0.2.0/24', '198.51.100.0/24', '203.0.113.0/24', '2001:db8::/32'].map(range);

function range(cidr: string): [4 | 6, bigint, bigint] {
  const c = parseCidr(cidr);
  if (!c) throw new Error(`bad CIDR ${cidr}`);
  const bits = c.family === 6 ? 128 : 32;
  return [c.family, c.network, c.network + (1n << BigInt(bits - c.prefix)) - 1n];
}

const inside = (list: Array<[4 | 6, bigint, bigint]>, family: 4 | 6, v: bigint) => list.some(([f, lo, hi]) => f === family && v >= lo && v <= hi);

function hex(v: bigint, shift: bigint): string {
  return ((v >> shift) & 0xffffn).toString(16);
}

/**
 * The network and country of a CloudTrail `sourceIPAddress`, or why it has none: a service name
 * or `AWS Internal` (not an address), or private space (a VPC endpoint, an internal proxy).
 */
export function locationOf(sourceIp: string | undefined): Location | 'missing' | 'not an address' | 'private address' {
  if (!sourceIp) return 'missing';
  if (sourceIp.includes('/')) return 'not an address';
  const a = parseCidr(sourceIp);
  if (!a) return 'not an address';
  if (inside(NOT_PUBLIC, a.family, a.network)) return 'private address';
  const v = a.network;
  const network =
    a.family === 4
      ? `${(v >> 24n) & 255n}.${(v >> 16n) & 255n}.${(v >> 8n) & 255n}.0/24`
      : `${hex(v, 112n)}:${hex(v, 96n)}:${hex(v, 80n)}::/48`;
  const country = inside(DOCUMENTATION, a.family, v) ? undefined : countryOf(a.family, v);
  return country ? { network, country } : { network };
}
