import { makeFinding, matchesEvent } from './finding.ts';
import { failed, who, where } from './lib/describe.ts';
import { path, str } from './lib/values.ts';
import type { Detection, DetectionMeta, Finding, Severity, TrailEvent } from './types.ts';

/** VPC-level logs an attacker removes to hide: we treat their deletion as high. */
const LOG_REMOVAL = new Set(['DeleteFlowLogs', 'DeleteResolverQueryLogConfig', 'DisassociateResolverQueryLogConfig']);

export const meta: DetectionMeta = {
  id: 'vpc-changes',
  title: 'VPC changed',
  severity: 'low',
  description:
    'A VPC, its attributes, a peering connection or ClassicLink was changed (CIS "VPC changes"). Trailwatch adds the deletion of VPC flow logs and Route 53 Resolver query logging (high: network evidence disappears). Peering with another account is medium. Failed calls are ignored.',
  matches: [
    {
      eventSource: ['ec2.amazonaws.com'],
      eventName: [
        'AcceptVpcPeeringConnection',
        'AttachClassicLinkVpc',
        'CreateVpc',
        'CreateVpcPeeringConnection',
        'DeleteFlowLogs',
        'DeleteVpc',
        'DeleteVpcPeeringConnection',
        'DetachClassicLinkVpc',
        'DisableVpcClassicLink',
        'EnableVpcClassicLink',
        'ModifyVpcAttribute',
        'RejectVpcPeeringConnection',
      ],
    },
    { eventSource: ['route53resolver.amazonaws.com'], eventName: ['DeleteResolverQueryLogConfig', 'DisassociateResolverQueryLogConfig'] },
  ],
  references: {
    cis: ['CIS 3.14 (v1.2): VPC changes', 'CIS 4.14 (v1.4/v3.0): VPC changes'],
    securityHub: ['CloudWatch.14'],
    mitre: ['T1562.008', 'T1599'],
    stratus: ['aws.defense-evasion.dns-delete-logs', 'aws.defense-evasion.vpc-remove-flow-logs'],
  },
  runbook:
    'Confirm the change came from your IaC pipeline. Deleted flow logs or DNS query logging: recreate them and treat the gap as a blind spot in any investigation. Unexpected cross-account peering: reject or delete it.',
  routine: { description: 'Network IaC roles creating and changing VPCs and peerings.' },
};

/** Fires on every successful VPC change; log removal is high, cross-account peering medium. */
export function detect(event: TrailEvent): Finding[] {
  if (!matchesEvent(meta, event) || failed(event)) return [];
  const rp = event.requestParameters;
  const vpcId = str(rp?.['vpcId']) ?? str(path(event.responseElements, 'vpc', 'vpcId'));
  let severity: Severity = 'low';
  let title = `${who(event)} ran ${event.name}${vpcId ? ` on ${vpcId}` : ''} ${where(event)}`;
  const details: Record<string, unknown> = { action: event.name, ...(vpcId ? { vpcId } : {}) };
  if (LOG_REMOVAL.has(event.name)) {
    severity = 'high';
    const ids = path(rp, 'DeleteFlowLogsRequest', 'FlowLogId') ?? rp?.['flowLogIds'] ?? rp?.['resolverQueryLogConfigId'];
    details['removedLogs'] = ids ?? null;
    title = `${who(event)} removed ${event.name === 'DeleteFlowLogs' ? 'VPC flow logs' : 'DNS query logging'} ${where(event)}`;
  } else if (event.name === 'CreateVpcPeeringConnection') {
    const peerOwner = str(rp?.['peerOwnerId']);
    if (peerOwner && peerOwner !== event.account) {
      severity = 'medium';
      details['peerOwnerId'] = peerOwner;
      title = `${who(event)} requested VPC peering from ${vpcId ?? 'a VPC'} to account ${peerOwner} ${where(event)}`;
    }
  } else if (event.name === 'AcceptVpcPeeringConnection') {
    const requester = str(path(event.responseElements, 'vpcPeeringConnection', 'requesterVpcInfo', 'ownerId'));
    if (requester && requester !== event.account) {
      severity = 'medium';
      details['requesterOwnerId'] = requester;
      title = `${who(event)} accepted VPC peering from account ${requester} ${where(event)}`;
    }
  }
  return [makeFinding(meta, event, { title, severity, details })];
}

export const detection: Detection = { ...meta, detect };
