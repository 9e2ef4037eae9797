import { inherentlyRisky, makeFinding, matchesEvent } from './finding.ts';
import { failed, who, where } from './lib/describe.ts';
import { exposedServices, isWorld } from './lib/network.ts';
import { path, str } from './lib/values.ts';
import type { Detection, DetectionMeta, Finding, Severity, TrailEvent } from './types.ts';

export const meta: DetectionMeta = {
  id: 'nacl-changes',
  title: 'Network ACL changed',
  severity: 'low',
  description:
    'A network ACL or one of its entries was created, replaced, deleted or re-associated (CIS "NACL changes"). An inbound allow entry for the whole internet is medium, high when it covers all ports or an admin/database port. The AWS-documented return-traffic entry (TCP/UDP from the internet to the ephemeral ports, 1024 or above up to 65535) is routine and stays low: network ACLs are stateless, so every public subnet needs it. Failed calls are ignored.',
  matches: [
    {
      eventSource: ['ec2.amazonaws.com'],
      eventName: ['CreateNetworkAcl', 'CreateNetworkAclEntry', 'DeleteNetworkAcl', 'DeleteNetworkAclEntry', 'ReplaceNetworkAclAssociation', 'ReplaceNetworkAclEntry'],
    },
  ],
  references: {
    cis: ['CIS 3.11 (v1.2): NACL changes', 'CIS 4.11 (v1.4/v3.0): NACL changes'],
    securityHub: ['CloudWatch.11'],
    mitre: ['T1562.007'],
  },
  runbook: 'Confirm the change came from your IaC pipeline. Remove unexpected inbound allow entries for 0.0.0.0/0 or ::/0 and review flow logs for the subnet.',
  routine: { description: 'IaC deploy roles applying network ACLs, including the documented ephemeral-port return entries.' },
};

/**
 * The ephemeral-port return-traffic entry AWS documents for network ACLs ("Custom network ACL
 * rules": inbound TCP 1024-65535 from 0.0.0.0/0 for responses to outbound requests; Linux uses
 * 32768-61000, Windows 49152-65535). Stateless ACLs need it; the security groups behind it still
 * decide what is reachable. Only TCP/UDP, only a range that starts at 1024 or above and ends at 65535.
 */
export function isEphemeralReturnRule(protocol: string, from: unknown, to: unknown): boolean {
  if (protocol !== '6' && protocol !== '17' && protocol !== 'tcp' && protocol !== 'udp') return false;
  return typeof from === 'number' && typeof to === 'number' && from >= 1024 && to === 65535 && from <= to;
}

/** Fires on every successful NACL change; grades inbound internet-wide allow entries. */
export function detect(event: TrailEvent): Finding[] {
  if (!matchesEvent(meta, event) || failed(event)) return [];
  const rp = event.requestParameters;
  const aclId = str(rp?.['networkAclId']) ?? str(path(event.responseElements, 'networkAcl', 'networkAclId'));
  let severity: Severity = 'low';
  let exposure: string[] = [];
  let routine: string | undefined;
  const entry = event.name === 'CreateNetworkAclEntry' || event.name === 'ReplaceNetworkAclEntry';
  const cidr = str(rp?.['cidrBlock']) ?? str(rp?.['ipv6CidrBlock']);
  if (entry && rp && str(rp['ruleAction'])?.toLowerCase() === 'allow' && rp['egress'] !== true && cidr && isWorld(cidr)) {
    const protocol = String(rp['aclProtocol'] ?? '-1');
    const from = path(rp, 'portRange', 'from');
    const to = path(rp, 'portRange', 'to');
    const rule = { protocol: protocol === '6' ? 'tcp' : protocol === '17' ? 'udp' : protocol, cidrs: [cidr], ...(typeof from === 'number' ? { fromPort: from } : {}), ...(typeof to === 'number' ? { toPort: to } : {}) };
    exposure = exposedServices(rule);
    if (isEphemeralReturnRule(protocol, from, to)) {
      routine = `ephemeral-port return traffic (${rule.protocol} ${String(from)}-${String(to)} from ${cidr}), the AWS-documented entry for stateless network ACLs`;
      exposure = [];
    } else severity = exposure.length > 0 ? 'high' : 'medium';
  }
  const title =
    severity === 'low'
      ? `${who(event)} ran ${event.name}${aclId ? ` on ${aclId}` : ''} ${where(event)}`
      : `${who(event)} allowed inbound traffic from the internet${exposure.length > 0 ? ` (${exposure.join(', ')})` : ''} in network ACL ${aclId ?? ''} ${where(event)}`;
  const findings = [makeFinding(meta, event, { title: title.replace(/\s+/g, ' '), severity, details: { action: event.name, ...(aclId ? { networkAclId: aclId } : {}), internetExposure: exposure, ...(routine ? { routine } : {}) } })];
  return exposure.length > 0 ? inherentlyRisky(findings, `${exposure.join(', ')} open to the internet`) : findings;
}

export const detection: Detection = { ...meta, detect };
