import { readDataHead, readDataJson } from '../../data-file.ts';
import { parseCidr, type ParsedCidr } from '../../policy/ip.ts';

interface IpRangesSnapshot {
  createDate: string;
  ipv4: string[];
  ipv6: string[];
}

const FILE = new URL('../data/aws-ip-ranges.json', import.meta.url);
// Read from disk when first asked, not bundled: ~75 KB of CIDRs every detect cold start compiled (docs/performance.md "Cold start").
let snapshot: IpRangesSnapshot | undefined;
const ranges = (): IpRangesSnapshot => (snapshot ??= readDataJson<IpRangesSnapshot>(FILE));

/** The snapshot's createDate from the file's head (the generator writes it before the lists), else from the whole file. */
function createDate(): string {
  const m = /"createDate"\s*:\s*"([^"]+)"/.exec(readDataHead(FILE, 512));
  return m ? (m[1] as string) : ranges().createDate;
}

/**
 * Is an address one of AWS's? Answers from the dated snapshot of AWS's published ranges
 * (`shared/detections/data/aws-ip-ranges.json`, `AMAZON` set, made by scripts/gen-aws-ip-ranges.ts),
 * so Lambda, replay and tests give the same answer with no network.
 */
export const AWS_IP_RANGES_DATE: string = createDate();

interface Interval {
  start: bigint;
  end: bigint;
}

function intervals(cidrs: readonly string[]): Interval[] {
  return cidrs
    .map((c) => parseCidr(c))
    .filter((c): c is ParsedCidr => c !== undefined)
    .map((c) => {
      const bits = c.family === 6 ? 128 : 32;
      return { start: c.network, end: c.network + (1n << BigInt(bits - c.prefix)) - 1n };
    })
    .sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
}

// Built on first use, not at import: parsing ~10,000 CIDRs into bigints cost the detect cold start
// ~30 ms (docs/performance.md), and most events never ask.
let aws: Record<4 | 6, Interval[]> | undefined;
const awsIntervals = (): Record<4 | 6, Interval[]> => (aws ??= { 4: intervals(ranges().ipv4), 6: intervals(ranges().ipv6) });

/** Private, shared, loopback and link-local space: calls through VPC endpoints show such addresses. */
const NON_PUBLIC = {
  4: intervals(['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10', '127.0.0.0/8', '169.254.0.0/16']),
  6: intervals(['fc00::/7', 'fe80::/10', '::1/128']),
};

function within(list: readonly Interval[], value: bigint): boolean {
  let lo = 0;
  let hi = list.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const r = list[mid] as Interval;
    if (value < r.start) hi = mid - 1;
    else if (value > r.end) lo = mid + 1;
    else return true;
  }
  return false;
}

/** The address as a number, or undefined when `text` is not a single IPv4/IPv6 address (e.g. "ec2.amazonaws.com"). */
function address(text: string | undefined): { family: 4 | 6; value: bigint } | undefined {
  if (!text) return undefined;
  const parsed = parseCidr(text);
  if (!parsed || text.includes('/')) return undefined;
  return { family: parsed.family, value: parsed.network };
}

export type NetworkKind = 'aws' | 'private' | 'internet' | 'not-an-address';

/** Where a CloudTrail `sourceIPAddress` comes from: an AWS range, private space, the internet, or a service name. */
export function networkOf(sourceIp: string | undefined): NetworkKind {
  const a = address(sourceIp);
  if (!a) return 'not-an-address';
  if (within(NON_PUBLIC[a.family], a.value)) return 'private';
  return within(awsIntervals()[a.family], a.value) ? 'aws' : 'internet';
}
