/**
 * Writes `shared/baseline/data/ip-country.json`: the compact IP-to-country snapshot the
 * `signin-from-new-location` baseline uses (shared/baseline/ip-country.ts), made from the npm data
 * package `@ip-location-db/geo-whois-asn-country` (a dev dependency: only the snapshot ships).
 *
 * Format (see `decodeTable` in shared/baseline/ip-country.ts): for each family the boundaries where
 * the country changes, as base64 of deflated bytes — per boundary an unsigned LEB128 delta from the
 * previous start and one byte indexing `countries` (index 0 = no country). IPv4 starts are full
 * 32-bit addresses; IPv6 starts are the top 48 bits (the baseline's network unit is a /48, and a
 * /48 split between countries keeps the country of its first range).
 *
 *   npx tsx scripts/gen-ip-country.ts                     from the installed package
 *   npx tsx scripts/gen-ip-country.ts DIR                 from a folder with the two *-num.csv files
 *   npx tsx scripts/gen-ip-country.ts --check             exit 1 when the committed snapshot differs
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateRawSync } from 'node:zlib';

export const SNAPSHOT_PATH = join(fileURLToPath(new URL('.', import.meta.url)), '..', 'shared', 'baseline', 'data', 'ip-country.json');
const PACKAGE = '@ip-location-db/geo-whois-asn-country';

export interface IpCountrySnapshot {
  source: string;
  license: string;
  /** The data package's version (its date: `2.3.YYYYMMDDHH`). */
  version: string;
  /** YYYY-MM-DD the data was published. */
  date: string;
  /** Two letters per country, index 0 = "--" (no country). */
  countries: string;
  ipv4: string;
  ipv6: string;
}

interface Boundary {
  start: number;
  country: number;
}

function varint(out: number[], n: number): void {
  // Unsigned LEB128 for values up to 2^48 (beyond 32 bits, so no bitwise operators).
  let v = n;
  while (v >= 128) {
    out.push((v % 128) + 128);
    v = Math.floor(v / 128);
  }
  out.push(v);
}

/** Country-change boundaries of one `*-num.csv` (inclusive start,end,country rows, sorted by start). */
export function boundaries(csv: string, shift: bigint, index: (c: string) => number): Boundary[] {
  const out: Boundary[] = [];
  let nextFree = 0; // first start not covered by the previous row
  for (const line of csv.split('\n')) {
    const [a, b, c] = line.trim().split(',');
    if (!a || !b || !c) continue;
    const start = Number(BigInt(a) >> shift);
    const end = Number(BigInt(b) >> shift);
    if (end < nextFree) continue; // inside a unit already taken (a /48 split between rows)
    const from = Math.max(start, nextFree);
    if (from > nextFree && out.length > 0) out.push({ start: nextFree, country: 0 }); // a gap
    const country = index(c);
    if (out.at(-1)?.country !== country) out.push({ start: from, country });
    nextFree = end + 1;
  }
  out.push({ start: nextFree, country: 0 });
  return out;
}

function encode(list: readonly Boundary[]): string {
  const bytes: number[] = [];
  let prev = 0;
  for (const b of list) {
    varint(bytes, b.start - prev);
    bytes.push(b.country);
    prev = b.start;
  }
  return deflateRawSync(Buffer.from(bytes), { level: 9 }).toString('base64');
}

export function snapshotFrom(ipv4Csv: string, ipv6Csv: string, version: string, license: string): IpCountrySnapshot {
  const codes = new Set<string>();
  for (const csv of [ipv4Csv, ipv6Csv]) for (const line of csv.split('\n')) {
    const c = line.trim().split(',')[2];
    if (c && /^[A-Z]{2}$/.test(c)) codes.add(c);
  }
  const countries = ['--', ...[...codes].sort()];
  if (countries.length > 256) throw new Error(`${countries.length} country codes do not fit one byte`);
  const at = new Map(countries.map((c, i) => [c, i]));
  const index = (c: string) => at.get(c) ?? 0;
  const m = /(\d{4})(\d{2})(\d{2})\d{2}$/.exec(version);
  return {
    source: `npm ${PACKAGE}@${version} (sapics/ip-location-db: RIR whois + ASN + geofeed)`,
    license,
    version,
    date: m ? `${m[1]}-${m[2]}-${m[3]}` : 'unknown',
    countries: countries.join(''),
    ipv4: encode(boundaries(ipv4Csv, 0n, index)),
    ipv6: encode(boundaries(ipv6Csv, 80n, index)),
  };
}

function main(): void {
  const args = process.argv.slice(2).filter((a) => a !== '--check');
  let dir = args[0];
  let version = 'unknown';
  let license = 'CC0-1.0 (package.json); whois data CC BY 4.0 NRO';
  if (!dir) {
    const require = createRequire(import.meta.url);
    const pkgJson = require.resolve(`${PACKAGE}/package.json`);
    dir = dirname(pkgJson);
    const pkg = JSON.parse(readFileSync(pkgJson, 'utf8')) as { version: string; license: string };
    version = pkg.version;
    license = `${pkg.license} (package); its whois data: CC BY 4.0 by the NRO`;
  }
  const read = (family: 4 | 6) => readFileSync(join(dir as string, `geo-whois-asn-country-ipv${family}-num.csv`), 'utf8');
  const body = `${JSON.stringify(snapshotFrom(read(4), read(6), version, license), null, 1)}\n`;
  if (process.argv.includes('--check')) {
    if (readFileSync(SNAPSHOT_PATH, 'utf8') !== body) {
      console.error(`${SNAPSHOT_PATH} differs from what ${dir} gives: run npx tsx scripts/gen-ip-country.ts`);
      process.exit(1);
    }
    return;
  }
  writeFileSync(SNAPSHOT_PATH, body);
  console.log(`wrote ${SNAPSHOT_PATH} (${Math.round(body.length / 1024)} KB)`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) main();
