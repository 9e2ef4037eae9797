import { makeFinding, matchesEvent } from './finding.ts';
import { failed, who } from './lib/describe.ts';
import { str } from './lib/values.ts';
import type { Detection, DetectionMeta, Finding, Severity, TrailEvent } from './types.ts';

/** Severity per action: leaving or dismantling the organisation removes every guardrail on the account. */
const SEVERITY: Record<string, Severity> = {
  LeaveOrganization: 'critical',
  RemoveAccountFromOrganization: 'high',
  DeleteOrganization: 'high',
  DisablePolicyType: 'high',
  AcceptHandshake: 'medium',
  RegisterDelegatedAdministrator: 'medium',
  DeregisterDelegatedAdministrator: 'medium',
  DisableAWSServiceAccess: 'medium',
  CloseAccount: 'medium',
  InviteAccountToOrganization: 'low',
  CreateAccount: 'low',
  MoveAccount: 'low',
  CreateOrganizationalUnit: 'low',
  UpdateOrganizationalUnit: 'low',
  DeleteOrganizationalUnit: 'low',
  DeclineHandshake: 'low',
  EnablePolicyType: 'low',
  EnableAWSServiceAccess: 'low',
};

export const meta: DetectionMeta = {
  id: 'organizations-changes',
  title: 'AWS Organizations changed',
  severity: 'low',
  description:
    'The organisation structure or membership changed (CIS "AWS Organizations changes", minus the policy events that policy-changed owns, plus delegated administrators, trusted service access and account closure). LeaveOrganization is critical and even a failed attempt is reported (high): it means someone tried to shed the SCPs. Other failed calls are ignored.',
  matches: [{ eventSource: ['organizations.amazonaws.com'], eventName: Object.keys(SEVERITY).sort() }],
  references: {
    cis: ['CIS 4.15 (v1.4/v3.0): AWS Organizations changes'],
    securityHub: [],
    mitre: ['T1666', 'T1562'],
    stratus: ['aws.defense-evasion.organizations-leave'],
  },
  runbook:
    'Confirm with the organisation owners. An account that left the organisation is out of reach of SCPs, centralised logging and GuardDuty: re-invite it and investigate who held its root or admin credentials.',
  routine: { description: "The organization's management-account admins and account-vending automation." },
};

/** Fires on organisation changes; a LeaveOrganization attempt is reported even when it failed. */
export function detect(event: TrailEvent): Finding[] {
  if (!matchesEvent(meta, event)) return [];
  const leaving = event.name === 'LeaveOrganization';
  if (failed(event) && !leaving) return [];
  const rp = event.requestParameters;
  const subject = str(rp?.['accountId']) ?? str(rp?.['policyType']) ?? str(rp?.['servicePrincipal']) ?? str(rp?.['handshakeId']) ?? str(rp?.['name']) ?? str(rp?.['accountName']);
  let severity = SEVERITY[event.name] ?? meta.severity;
  let title = `${who(event)} ran ${event.name}${subject ? ` (${subject})` : ''} in ${event.account}`;
  if (leaving) {
    title = failed(event)
      ? `${who(event)} tried to take account ${event.account} out of its organisation (${event.errorCode})`
      : `Account ${event.account} left its AWS organisation (by ${who(event)})`;
    if (failed(event)) severity = 'high';
  } else if (event.name === 'DisablePolicyType' && subject && !['SERVICE_CONTROL_POLICY', 'RESOURCE_CONTROL_POLICY'].includes(subject)) {
    severity = 'low';
  }
  return [
    makeFinding(meta, event, {
      title,
      severity,
      details: { action: event.name, ...(subject ? { subject } : {}), ...(failed(event) ? { errorCode: event.errorCode, attempted: true } : {}) },
    }),
  ];
}

export const detection: Detection = { ...meta, detect };
