import { makeFinding, matchesEvent } from './finding.ts';
import { failed, who, where } from './lib/describe.ts';
import { str } from './lib/values.ts';
import type { Detection, DetectionMeta, Finding, TrailEvent } from './types.ts';

export const meta: DetectionMeta = {
  id: 'network-gateway-changes',
  title: 'Network gateway changed',
  severity: 'low',
  description:
    'An internet or customer gateway was created, deleted, attached or detached (CIS "changes to network gateways"). Attaching an internet gateway makes a VPC reachable from the internet: medium. Failed calls are ignored.',
  matches: [
    {
      eventSource: ['ec2.amazonaws.com'],
      eventName: ['AttachInternetGateway', 'CreateCustomerGateway', 'CreateInternetGateway', 'DeleteCustomerGateway', 'DeleteInternetGateway', 'DetachInternetGateway'],
    },
  ],
  references: {
    cis: ['CIS 3.12 (v1.2): changes to network gateways', 'CIS 4.12 (v1.4/v3.0): changes to network gateways'],
    securityHub: ['CloudWatch.12'],
    mitre: ['T1133'],
  },
  runbook: 'Confirm the change came from your IaC pipeline. An unexpected internet gateway attachment: detach it and check which subnets now route to it.',
  routine: { description: 'Network IaC roles creating and attaching gateways for new VPCs.' },
};

/** Fires on every successful gateway change; an internet gateway attachment is medium. */
export function detect(event: TrailEvent): Finding[] {
  if (!matchesEvent(meta, event) || failed(event)) return [];
  const rp = event.requestParameters;
  const gateway = str(rp?.['internetGatewayId']) ?? str(rp?.['customerGatewayId']) ?? str(rp?.['ipAddress']);
  const vpcId = str(rp?.['vpcId']);
  const attach = event.name === 'AttachInternetGateway';
  return [
    makeFinding(meta, event, {
      title: attach
        ? `${who(event)} attached internet gateway ${gateway ?? ''} to ${vpcId ?? 'a VPC'} ${where(event)}`.replace(/\s+/g, ' ')
        : `${who(event)} ran ${event.name}${gateway ? ` on ${gateway}` : ''} ${where(event)}`,
      severity: attach ? 'medium' : 'low',
      details: { action: event.name, ...(gateway ? { gateway } : {}), ...(vpcId ? { vpcId } : {}) },
    }),
  ];
}

export const detection: Detection = { ...meta, detect };
