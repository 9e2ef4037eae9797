/**
 * Writes `shared/detections/data/aws-ip-ranges.json`: the compact snapshot of AWS's published IP
 * ranges that the instance-credentials-elsewhere detection uses to tell AWS networks from the rest.
 * Only the `AMAZON` service set is kept (it is the superset of every AWS service range), IPv4 and IPv6,
 * collapsed to the fewest CIDRs that cover the same addresses, sorted; `createDate` and `syncToken` of
 * the source are kept so docs and findings can say how old the snapshot is.
 *
 * Run where a network exists:  npx tsx scripts/gen-aws-ip-ranges.ts
 * or from a file:              npx tsx scripts/gen-aws-ip-ranges.ts path/to/ip-ranges.json
 * `--check FILE` exits 1 when the committed snapshot differs from what FILE would give.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseCidr } from '../shared/policy/ip.ts';

export const SNAPSHOT_PATH = join(fileURLToPath(new URL('.', import.meta.url)), '..', 'shared', 'detections', 'data', 'aws-ip-ranges.json');
export const SOURCE_URL = 'https://ip-ranges.amazonaws.com/ip-ranges.json';

interface IpRanges {
  syncToken: string;
  createDate: string;
  prefixes: Array<{ ip_prefix: string; service: string }>;
  ipv6_prefixes: Array<{ ipv6_prefix: string; service: string }>;
}

export interface AwsIpRangesSnapshot {
  source: string;
  createDate: string;
  syncToken: string;
  service: 'AMAZON';
  ipv4: string[];
  ipv6: string[];
}

/** Address text of a number in the family (IPv6 in full, lower-case, zero-compressed). */
function addressText(value: bigint, family: 4 | 6): string {
  if (family === 4) return [24n, 16n, 8n, 0n].map((shift) => String((value >> shift) & 255n)).join('.');
  const groups = [112n, 96n, 80n, 64n, 48n, 32n, 16n, 0n].map((shift) => ((value >> shift) & 0xffffn).toString(16));
  const full = groups.join(':');
  // Compress the longest run of zero groups (RFC 5952).
  const runs = [...full.matchAll(/(?:^|:)(0(?::0)+)(?::|$)/g)].sort((x, y) => (y[1]?.length ?? 0) - (x[1]?.length ?? 0));
  const longest = runs[0]?.[1];
  return longest ? full.replace(new RegExp(`(^|:)${longest}(:|$)`), '::').replace(/^:::?/, '::').replace(/:::$/, '::') : full;
}

/**
 * The smallest set of CIDRs covering exactly the union of the input (the same result as Python's
 * ipaddress.collapse_addresses): merge overlapping or adjacent ranges, then cut each range into
 * aligned blocks.
 */
function collapse(cidrs: string[], family: 4 | 6): string[] {
  const bits = family === 6 ? 128 : 32;
  const ranges = cidrs
    .map((text) => parseCidr(text))
    .filter((c): c is NonNullable<ReturnType<typeof parseCidr>> => c !== undefined && c.family === family)
    .map((c) => ({ start: c.network, end: c.network + (1n << BigInt(bits - c.prefix)) - 1n }))
    .sort((x, y) => (x.start < y.start ? -1 : x.start > y.start ? 1 : 0));
  const merged: Array<{ start: bigint; end: bigint }> = [];
  for (const r of ranges) {
    const last = merged[merged.length - 1];
    if (last && r.start <= last.end + 1n) {
      if (r.end > last.end) last.end = r.end;
    } else merged.push({ ...r });
  }
  const out: string[] = [];
  for (const { start, end } of merged) {
    let cursor = start;
    while (cursor <= end) {
      let size = bits;
      // Grow the block while it stays aligned at `cursor` and inside the range.
      while (size > 0) {
        const next = size - 1;
        const blockSize = 1n << BigInt(bits - next);
        if (cursor % blockSize !== 0n || cursor + blockSize - 1n > end) break;
        size = next;
      }
      out.push(`${addressText(cursor, family)}/${size}`);
      cursor += 1n << BigInt(bits - size);
    }
  }
  return out;
}

/** The compact snapshot of one ip-ranges.json document. */
export function compactIpRanges(doc: IpRanges): AwsIpRangesSnapshot {
  return {
    source: SOURCE_URL,
    createDate: doc.createDate,
    syncToken: doc.syncToken,
    service: 'AMAZON',
    ipv4: collapse(doc.prefixes.filter((p) => p.service === 'AMAZON').map((p) => p.ip_prefix), 4),
    ipv6: collapse(doc.ipv6_prefixes.filter((p) => p.service === 'AMAZON').map((p) => p.ipv6_prefix), 6),
  };
}

async function load(from: string | undefined): Promise<IpRanges> {
  if (from && !/^https?:/.test(from)) return JSON.parse(readFileSync(from, 'utf8')) as IpRanges;
  const response = await fetch(from ?? SOURCE_URL);
  if (!response.ok) throw new Error(`GET ${from ?? SOURCE_URL}: HTTP ${response.status}`);
  return (await response.json()) as IpRanges;
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/\\/g, '/').split('/').pop() ?? '')) {
  const args = process.argv.slice(2);
  const check = args.includes('--check');
  const from = args.find((a) => a !== '--check');
  const snapshot = compactIpRanges(await load(from));
  const body = `${JSON.stringify(snapshot)}\n`;
  if (check) {
    if (readFileSync(SNAPSHOT_PATH, 'utf8') !== body) {
      console.error('shared/detections/data/aws-ip-ranges.json differs from the given ip-ranges.json');
      process.exit(1);
    }
  } else {
    writeFileSync(SNAPSHOT_PATH, body);
    console.log(`wrote ${SNAPSHOT_PATH}: createDate ${snapshot.createDate}, ${snapshot.ipv4.length} IPv4 and ${snapshot.ipv6.length} IPv6 prefixes`);
  }
}
