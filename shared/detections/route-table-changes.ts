import { makeFinding, matchesEvent } from './finding.ts';
import { failed, who, where } from './lib/describe.ts';
import { isWorld } from './lib/network.ts';
import { str } from './lib/values.ts';
import type { Detection, DetectionMeta, Finding, TrailEvent } from './types.ts';

const TARGET_KEYS = ['gatewayId', 'natGatewayId', 'instanceId', 'networkInterfaceId', 'vpcPeeringConnectionId', 'transitGatewayId', 'egressOnlyInternetGatewayId', 'vpcEndpointId', 'localGatewayId', 'carrierGatewayId', 'coreNetworkArn'];

export const meta: DetectionMeta = {
  id: 'route-table-changes',
  title: 'Route table changed',
  severity: 'low',
  description:
    'A route or route table was created, replaced, deleted or (dis)associated (CIS "route table changes"). A default route (0.0.0.0/0 or ::/0) created or replaced is medium: it redirects all traffic of the subnets (to the internet, or through an instance that can read it). A default route through a NAT gateway (or an IPv6 egress-only internet gateway) is the documented shape of a private subnet and stays low. Failed calls are ignored.',
  matches: [
    {
      eventSource: ['ec2.amazonaws.com'],
      eventName: ['CreateRoute', 'CreateRouteTable', 'DeleteRoute', 'DeleteRouteTable', 'DisassociateRouteTable', 'ReplaceRoute', 'ReplaceRouteTableAssociation'],
    },
  ],
  references: {
    cis: ['CIS 3.13 (v1.2): route table changes', 'CIS 4.13 (v1.4/v3.0): route table changes'],
    securityHub: ['CloudWatch.13'],
    mitre: ['T1599'],
  },
  runbook: 'Confirm the change came from your IaC pipeline. A new default route to an instance or unknown gateway can intercept traffic: check the target and revert if unexpected.',
  routine: { description: 'Network IaC roles maintaining route tables (default routes through NAT gateways).' },
};

/** Fires on every successful route-table change; default routes created or replaced are medium. */
export function detect(event: TrailEvent): Finding[] {
  if (!matchesEvent(meta, event) || failed(event)) return [];
  const rp = event.requestParameters;
  const table = str(rp?.['routeTableId']) ?? str(rp?.['associationId']);
  const destination = str(rp?.['destinationCidrBlock']) ?? str(rp?.['destinationIpv6CidrBlock']) ?? str(rp?.['destinationPrefixListId']);
  const targetKey = TARGET_KEYS.find((k) => str(rp?.[k]) !== undefined);
  const target = targetKey ? str(rp?.[targetKey]) : undefined;
  const defaultRoute = (event.name === 'CreateRoute' || event.name === 'ReplaceRoute') && destination !== undefined && isWorld(destination);
  // Outbound-only targets: a NAT gateway or an egress-only internet gateway cannot take inbound
  // connections or read traffic for someone else — the private-subnet default route AWS documents.
  const routine = defaultRoute && (targetKey === 'natGatewayId' || targetKey === 'egressOnlyInternetGatewayId') ? `default route via ${targetKey === 'natGatewayId' ? 'a NAT gateway' : 'an egress-only internet gateway'}, the documented private-subnet route` : undefined;
  return [
    makeFinding(meta, event, {
      title: defaultRoute
        ? `${who(event)} ${event.name === 'CreateRoute' ? 'created' : 'replaced'} a default route (${destination}) via ${target ?? 'an unknown target'} in ${table ?? 'a route table'} ${where(event)}`
        : `${who(event)} ran ${event.name}${table ? ` on ${table}` : ''} ${where(event)}`,
      severity: defaultRoute && !routine ? 'medium' : 'low',
      details: { action: event.name, ...(table ? { routeTableId: table } : {}), ...(destination ? { destination } : {}), ...(target ? { target, targetType: targetKey } : {}), ...(routine ? { routine } : {}) },
    }),
  ];
}

export const detection: Detection = { ...meta, detect };
