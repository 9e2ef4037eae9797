import type { Finding } from '../model/types.ts';

/**
 * How the novelty model names what it remembers. Coarse on purpose: a /24 (IPv4) or /48 (IPv6)
 * network, a user-agent family with its major version, a region. Finer keys would make every CI
 * runner's new IP "novel"; coarser ones would hide a stolen key used from a new provider.
 */

/** Who acted: a role session is keyed by its role (every CI job is a new session name). */
export function actorOf(finding: Finding): string {
  const p = finding.principal;
  return p.sessionIssuerArn ?? p.arn ?? `${p.type}:${p.name}`;
}

/** What kind of change: the detection and the API (rate findings: the rate dimension). */
export function changeKindOf(finding: Finding): string {
  const dimension = finding.details['dimension'];
  if (finding.detection.startsWith('api-') && typeof dimension === 'string') return `${finding.detection}:${dimension}`;
  return `${finding.detection}:${finding.eventName}`;
}

/**
 * The network a call came from: IPv4 /24, IPv6 /48, or the AWS service name CloudTrail logs instead
 * of an address (`cloudformation.amazonaws.com`, `AWS Internal`). Undefined when not logged.
 */
export function networkOf(sourceIp: string | undefined): string | undefined {
  if (!sourceIp) return undefined;
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.\d{1,3}$/.exec(sourceIp);
  if (v4) return `${v4[1]}.${v4[2]}.${v4[3]}.0/24`;
  if (sourceIp.includes(':') && /^[0-9a-fA-F:]+$/.test(sourceIp)) {
    const [head = ''] = sourceIp.split('::');
    const groups = head.split(':').filter(Boolean);
    while (groups.length < 3) groups.push('0');
    return `${groups.slice(0, 3).join(':').toLowerCase()}::/48`;
  }
  return sourceIp.toLowerCase().slice(0, 128);
}

/** Products whose token names the tool even when it is not the first one in the user agent. */
const PRODUCTS = ['Terraform', 'Pulumi', 'aws-cdk', 'CloudFormation', 'aws-cli', 'Boto3', 'Botocore', 'aws-sdk-go-v2', 'aws-sdk-go', 'aws-sdk-java', 'aws-sdk-js', 'aws-sdk-dotnet', 'aws-sdk-ruby', 'aws-sdk-rust', 'aws-sdk-php'];
/** One compiled pattern per product, in the same order (built once, not per call). */
const PRODUCT_PATTERNS: ReadonlyArray<readonly [string, RegExp]> = PRODUCTS.map((product) => [product, new RegExp(`(?:^|[\\s(])${product.replace(/[-.]/g, '\\$&')}/v?(\\d+)`, 'i')] as const);

/**
 * A user agent reduced to its tool family and major version (`aws-cli/2`, `Terraform/1`,
 * `aws-sdk-js/3`, `browser`, `cloudformation.amazonaws.com`): the same tool after a patch upgrade
 * is not novel, a different tool is.
 */
export function userAgentFamily(userAgent: string | undefined): string | undefined {
  if (!userAgent) return undefined;
  const ua = userAgent.trim();
  if (ua === '') return undefined;
  if (/^[a-z0-9.-]+\.amazonaws\.com$/i.test(ua) || ua === 'AWS Internal') return ua.toLowerCase();
  for (const [product, pattern] of PRODUCT_PATTERNS) {
    const m = pattern.exec(ua);
    if (m) return `${product.toLowerCase()}/${m[1]}`;
  }
  if (/^Mozilla\//.test(ua) || /console\.amazonaws\.com|signin\.amazonaws\.com/i.test(ua)) return 'browser';
  const first = /^([A-Za-z][A-Za-z0-9_.-]{0,63})(?:\/v?(\d+))?/.exec(ua);
  if (!first) return 'other';
  return first[2] ? `${first[1]?.toLowerCase()}/${first[2]}` : (first[1]?.toLowerCase() ?? 'other');
}
