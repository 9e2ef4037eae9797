/**
 * Country of an IP address, offline: a dated snapshot of `@ip-location-db/geo-whois-asn-country`
 * (RIR whois + ASN + geofeed), written by scripts/gen-ip-country.ts to `data/ip-country.json`
 * (~0.7 MB, read and decoded on the first sign-in a batch holds, never at cold start).
 * Whois countries are where the network is registered: good for "a new country for this
 * person", not for a street address.
 */
import { inflateRawSync } from 'node:zlib';
import { readDataJson } from '../data-file.ts';

interface Snapshot {
  date: string;
  countries: string;
  ipv4: string;
  ipv6: string;
}

/** Boundaries of one family: `starts[i]` (ascending) begins a run of `countries[i]` (0 = none). */
export interface CountryTable {
  starts: Float64Array;
  countries: Uint8Array;
}

const FILE = new URL('./data/ip-country.json', import.meta.url);

/** Decodes the generator's base64(deflate(LEB128 delta, country byte …)). */
export function decodeTable(base64: string): CountryTable {
  const bytes = inflateRawSync(Buffer.from(base64, 'base64'));
  const starts: number[] = [];
  const countries: number[] = [];
  let prev = 0;
  let i = 0;
  while (i < bytes.length) {
    let delta = 0;
    let scale = 1;
    for (;;) {
      const b = bytes[i++] as number;
      delta += (b % 128) * scale;
      if (b < 128) break;
      scale *= 128;
    }
    prev += delta;
    starts.push(prev);
    countries.push(bytes[i++] as number);
  }
  return { starts: Float64Array.from(starts), countries: Uint8Array.from(countries) };
}

/** Index of the country whose run holds `value` (0 when none). */
export function lookup(table: CountryTable, value: number): number {
  let lo = 0;
  let hi = table.starts.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if ((table.starts[mid] as number) <= value) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found < 0 ? 0 : (table.countries[found] as number);
}

let loaded: { date: string; codes: string; v4: CountryTable; v6: CountryTable } | undefined;
function data(): NonNullable<typeof loaded> {
  if (!loaded) {
    const s = readDataJson<Snapshot>(FILE);
    loaded = { date: s.date, codes: s.countries, v4: decodeTable(s.ipv4), v6: decodeTable(s.ipv6) };
  }
  return loaded;
}

/** The date of the data in the snapshot (YYYY-MM-DD). */
export function ipCountryDate(): string {
  return data().date;
}

/**
 * ISO 3166-1 alpha-2 country of an address given as a number (IPv4: 32 bits; IPv6: the full
 * 128-bit value), or undefined when the snapshot has none (reserved, documentation, unallocated).
 */
export function countryOf(family: 4 | 6, value: bigint): string | undefined {
  const d = data();
  const index = family === 4 ? lookup(d.v4, Number(value)) : lookup(d.v6, Number(value >> 80n));
  return index === 0 ? undefined : d.codes.slice(index * 2, index * 2 + 2);
}
