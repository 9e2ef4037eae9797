import { ANY } from '../detections/finding.ts';
import type { DetectionMeta } from '../detections/types.ts';

/**
 * The three baseline behaviours: findings that need a history, not one event. Same metadata as a
 * one-event detection (coverage, the ATT&CK layer, runbooks and tuning ids come from here); they are
 * judged by the stateful `BaselineProcessor` (processor.ts) in the rates function and in replay's
 * processor pass, never by the detect function, so they are not in the one-event registry.
 * `matches` says which events each one learns from.
 */
export const UNUSUAL_ROLE_ASSUMPTION: DetectionMeta = {
  id: 'unusual-role-assumption',
  title: 'Role assumed by a principal that has never assumed it before',
  severity: 'low',
  description:
    'A successful AssumeRole / AssumeRoleWithSAML / AssumeRoleWithWebIdentity by an assumer (IAM user, role of an assumed-role session, SAML or OIDC provider, AWS service, another account) that the role has not had in its history, once the role has left its learning period. Cross-account assumers and privileged roles (admin, power-user, organization access, break-glass names) raise the severity.',
  matches: [{ eventSource: ['sts.amazonaws.com'], eventName: ['AssumeRole', 'AssumeRoleWithSAML', 'AssumeRoleWithWebIdentity'] }],
  references: {
    mitre: ['T1078.004', 'T1550.001', 'T1199'],
    urls: ['https://docs.aws.amazon.com/IAM/latest/UserGuide/cloudtrail-integration.html#stscloudtrailexample-assumerole'],
  },
  runbook:
    'Ask the owner of the role whether this assumer should use it. If not: revoke the role\'s active sessions (IAM "Revoke active sessions"), tighten the trust policy, and review what the new session did (CloudTrail, filter on the assumed-role session name). A cross-account assumer that is not a known vendor or organization account is an intruder until proven otherwise.',
  routine: { description: 'Automation assuming its own roles every few minutes, vendors assuming their integration roles, people assuming the same few roles: all learned as history.' },
};

export const NEW_API_FOR_PRINCIPAL: DetectionMeta = {
  id: 'new-api-for-principal',
  title: 'Principal called a write or sensitive API it has never called before',
  severity: 'low',
  description:
    'A principal (IAM user, role for its sessions, federated user) made a successful write call or a sensitive read (secrets, parameters, key decryption, credential reports, account authorization details) it has not made before, once its history is long enough. Read-only chatter (Describe/List/Get) is not counted, so scanners and consoles do not page. Calls to IAM, STS, KMS, Secrets Manager, SSM, CloudTrail, logging, Organizations and security services are medium; the rest low.',
  matches: [{ eventSource: [ANY], eventName: [ANY] }],
  references: {
    mitre: ['T1078.004', 'T1098', 'T1580'],
  },
  runbook:
    'Check whether the principal\'s owner changed what it does (a new feature, a new pipeline step). If not, the credential may be in other hands: see what else it did in the same hour (source IPs, user agents), then rotate the key or revoke the role sessions.',
  routine: { description: 'Deploy roles and people picking up a new service; the first use of each API is learned and never reported again.' },
};

export const SIGNIN_FROM_NEW_LOCATION: DetectionMeta = {
  id: 'signin-from-new-location',
  title: 'Console sign-in from a new country or network',
  severity: 'low',
  description:
    'A successful console sign-in (IAM user, root, federated or SAML/Identity Center role session) from a country (offline whois data) or network (IPv4 /24, IPv6 /48) the person has not signed in from before, once they have a sign-in history. A new country is high and dangerous in itself; a new network in a known country is low; a new network whose country is unknown is medium. AWS-internal and private source addresses are not networks.',
  matches: [{ eventSource: ['signin.amazonaws.com'], eventName: ['ConsoleLogin'] }],
  references: {
    mitre: ['T1078.004', 'T1021.007'],
    urls: ['https://docs.aws.amazon.com/IAM/latest/UserGuide/cloudtrail-integration.html#cloudtrail-integration_signin-tempcreds'],
  },
  runbook:
    'Ask the person whether they signed in from there (travel, a new VPN). If not: disable their console password or identity-provider account, revoke their sessions, check for MFA changes and new access keys, and review what the session did.',
  routine: { description: 'People signing in from the same office, home and VPN networks; a new network in the same country is a summary line.' },
};

export const BASELINE_BEHAVIOURS: readonly DetectionMeta[] = [UNUSUAL_ROLE_ASSUMPTION, NEW_API_FOR_PRINCIPAL, SIGNIN_FROM_NEW_LOCATION];

/** The ids, for routing and tuning validation. */
export const BASELINE_IDS = ['unusual-role-assumption', 'new-api-for-principal', 'signin-from-new-location'] as const;
export type BaselineId = (typeof BASELINE_IDS)[number];
