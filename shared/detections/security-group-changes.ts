import { inherentlyRisky, makeFinding, matchesEvent } from './finding.ts';
import { failed, who, where } from './lib/describe.ts';
import { exposedServices, isWorld, securityGroupRules } from './lib/network.ts';
import { str } from './lib/values.ts';
import type { Detection, DetectionMeta, Finding, Severity, TrailEvent } from './types.ts';

export const meta: DetectionMeta = {
  id: 'security-group-changes',
  title: 'Security group changed',
  severity: 'low',
  description:
    'A security group was created, deleted or had rules added, changed or removed (CIS "security group changes", plus ModifySecurityGroupRules). Ingress opened to the whole internet (0.0.0.0/0 or ::/0) on an admin, database or cache port, or on all ports, is high; other internet-wide ingress is medium; the rest is low. Failed calls are ignored.',
  matches: [
    {
      eventSource: ['ec2.amazonaws.com'],
      eventName: [
        'AuthorizeSecurityGroupEgress',
        'AuthorizeSecurityGroupIngress',
        'CreateSecurityGroup',
        'DeleteSecurityGroup',
        'ModifySecurityGroupRules',
        'RevokeSecurityGroupEgress',
        'RevokeSecurityGroupIngress',
      ],
    },
  ],
  references: {
    cis: ['CIS 3.10 (v1.2): security group changes', 'CIS 4.10 (v1.4/v3.0): security group changes'],
    securityHub: ['CloudWatch.10'],
    mitre: ['T1562.007'],
    stratus: ['aws.exfiltration.ec2-security-group-open-port-22-ingress'],
  },
  runbook:
    'For internet-wide ingress: confirm the owner meant it; if not, revoke the rule now and check flow logs and instance logs for connections since. Routine changes: confirm they came from your IaC pipeline.',
  routine: { description: 'IaC deploy roles re-applying load-balancer and service security groups.' },
};

/** Fires on every successful security-group change, graded by what internet exposure it adds. */
export function detect(event: TrailEvent): Finding[] {
  if (!matchesEvent(meta, event) || failed(event)) return [];
  const rp = event.requestParameters;
  const groupId = str(rp?.['groupId']) ?? str(rp?.['GroupId']) ?? str(rp?.['groupName']) ?? str(event.responseElements?.['groupId']);
  const adds = event.name === 'AuthorizeSecurityGroupIngress' || event.name === 'ModifySecurityGroupRules';
  const rules = securityGroupRules(rp);
  const exposed = adds ? [...new Set(rules.flatMap(exposedServices))] : [];
  const worldOpen = adds && rules.some((r) => r.cidrs.some(isWorld));
  let severity: Severity = 'low';
  let title = `${who(event)} ran ${event.name}${groupId ? ` on ${groupId}` : ''} ${where(event)}`;
  if (exposed.length > 0) {
    severity = 'high';
    title = `${who(event)} opened ${exposed.join(', ')} to the internet on ${groupId ?? 'a security group'} ${where(event)}`;
  } else if (worldOpen) {
    severity = 'medium';
    title = `${who(event)} opened ingress from the internet on ${groupId ?? 'a security group'} ${where(event)}`;
  }
  const findings = [
    makeFinding(meta, event, {
      title,
      severity,
      details: { action: event.name, ...(groupId ? { groupId } : {}), rules, internetExposure: exposed },
    }),
  ];
  return exposed.length > 0 ? inherentlyRisky(findings, `${exposed.join(', ')} open to the internet`) : findings;
}

export const detection: Detection = { ...meta, detect };
