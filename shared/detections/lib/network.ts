import { asArray, field, isObject, str } from './values.ts';

/**
 * Reads security-group and network-ACL rules out of EC2 CloudTrail request parameters, which come
 * in two shapes: the `ipPermissions.items[]` list and the legacy flat `cidrIp/fromPort/toPort`.
 */

export interface IpRule {
  protocol: string;
  fromPort?: number;
  toPort?: number;
  cidrs: string[];
}

/** Ports whose exposure to the internet is an incident: remote admin, databases, caches, cluster APIs. */
export const SENSITIVE_PORTS: Readonly<Record<number, string>> = {
  22: 'SSH',
  23: 'Telnet',
  135: 'MS RPC',
  139: 'NetBIOS',
  445: 'SMB',
  1433: 'SQL Server',
  1521: 'Oracle',
  2375: 'Docker API',
  2379: 'etcd',
  3306: 'MySQL',
  3389: 'RDP',
  5432: 'PostgreSQL',
  5601: 'Kibana',
  5900: 'VNC',
  6379: 'Redis',
  9200: 'Elasticsearch',
  11211: 'Memcached',
  27017: 'MongoDB',
};

function num(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && /^-?\d+$/.test(value.trim())) return Number(value.trim());
  return undefined;
}

function items(value: unknown): unknown[] {
  return isObject(value) && 'items' in value ? asArray(value['items']) : asArray(value);
}

/** All rules an Authorize/Revoke security group call carries. */
export function securityGroupRules(rp: Record<string, unknown> | null): IpRule[] {
  if (!rp) return [];
  const rules: IpRule[] = [];
  for (const item of items(rp['ipPermissions']).filter(isObject)) {
    const cidrs = [
      ...items(item['ipRanges']).map((r) => str(field(r, 'cidrIp'))),
      ...items(item['ipv6Ranges']).map((r) => str(field(r, 'cidrIpv6'))),
    ].filter((c): c is string => c !== undefined);
    rules.push(rule(item['ipProtocol'], item['fromPort'], item['toPort'], cidrs));
  }
  const flatCidr = str(rp['cidrIp']) ?? str(rp['cidrIpv6']);
  if (flatCidr || rp['ipProtocol'] !== undefined) rules.push(rule(rp['ipProtocol'], rp['fromPort'], rp['toPort'], flatCidr ? [flatCidr] : []));
  // ModifySecurityGroupRules: securityGroupRuleSet / SecurityGroupRule items with CidrIpv4/CidrIpv6.
  const modify = field(rp['ModifySecurityGroupRulesRequest'], 'SecurityGroupRule');
  for (const entry of asArray(modify).filter(isObject)) {
    const r = field(entry, 'SecurityGroupRule');
    const cidr = str(field(r, 'CidrIpv4')) ?? str(field(r, 'CidrIpv6'));
    rules.push(rule(field(r, 'IpProtocol'), field(r, 'FromPort'), field(r, 'ToPort'), cidr ? [cidr] : []));
  }
  return rules;
}

function rule(protocol: unknown, from: unknown, to: unknown, cidrs: string[]): IpRule {
  const r: IpRule = { protocol: str(String(protocol ?? '')) ?? '-1', cidrs };
  const f = num(from);
  const t = num(to);
  if (f !== undefined) r.fromPort = f;
  if (t !== undefined) r.toPort = t;
  return r;
}

/** A CIDR that matches every address (any `/0`: anonymised logs keep the prefix length, not the zeros). */
export function isWorld(cidr: string): boolean {
  return /\/0$/.test(cidr.trim());
}

/** True when the rule covers every port: protocol all (-1) or a full/absent port range. */
function allPorts(r: IpRule): boolean {
  if (r.protocol === '-1' || r.protocol.toLowerCase() === 'all') return true;
  return r.fromPort === undefined || r.toPort === undefined || r.fromPort === -1 || (r.fromPort <= 0 && r.toPort >= 65535);
}

/** The sensitive services a world-open rule exposes, e.g. `['SSH (22)']`; `['all ports']` for protocol -1. */
export function exposedServices(r: IpRule): string[] {
  if (!r.cidrs.some(isWorld)) return [];
  if (allPorts(r)) return ['all ports'];
  if (r.protocol !== 'tcp' && r.protocol !== '6' && r.protocol !== 'udp' && r.protocol !== '17') return [];
  const from = r.fromPort ?? 0;
  const to = r.toPort ?? from;
  return Object.entries(SENSITIVE_PORTS)
    .filter(([port]) => Number(port) >= from && Number(port) <= to)
    .map(([port, name]) => `${name} (${port})`);
}
