import { makeFinding, matchesEvent } from './finding.ts';
import { str } from './lib/values.ts';
import type { Detection, DetectionMeta, Finding, TrailEvent } from './types.ts';

export const meta: DetectionMeta = {
  id: 'console-signin-without-mfa',
  title: 'Console sign-in without MFA',
  severity: 'medium',
  description:
    'An IAM user signed in to the console successfully without MFA (additionalEventData.MFAUsed "No", any case). Not raised for federated, SAML, assumed-role or Identity Center sign-ins (MFA is enforced at the identity provider and CloudTrail always logs "No" for them), not for root (root-signin covers it) and not for failed sign-ins (console-auth-failures).',
  matches: [{ eventSource: ['signin.amazonaws.com'], eventName: ['ConsoleLogin'] }],
  references: {
    cis: ['CIS 3.2 (v1.2): console sign-in without MFA', 'CIS 4.2 (v1.4/v3.0): console sign-in without MFA', 'CIS 1.10 (v3.0): MFA for all IAM users with a console password'],
    securityHub: ['CloudWatch.3', 'IAM.5'],
    mitre: ['T1078.004'],
    stratus: ['aws.initial-access.console-login-without-mfa'],
  },
  runbook:
    'Confirm with the user that they signed in. Enforce MFA for them (and an IAM policy that denies everything without aws:MultiFactorAuthPresent). If they did not sign in: disable the login profile, rotate the password and review their session.',
  routine: { description: 'Rare: IAM users with a password but no MFA (most people sign in through Identity Center).' },
};

/** Fires on a successful IAM-user ConsoleLogin that reports MFAUsed "No". */
export function detect(event: TrailEvent): Finding[] {
  if (!matchesEvent(meta, event) || event.principal.type !== 'IAMUser') return [];
  if (event.responseElements?.['ConsoleLogin'] !== 'Success' || event.errorCode || event.errorMessage) return [];
  const mfa = str(event.additionalEventData?.['MFAUsed']);
  if (mfa?.toLowerCase() !== 'no') return [];
  // A SAML sign-in through an IAM-user-typed record still has MFA at the IdP.
  if (str(event.additionalEventData?.['SamlProviderArn']) !== undefined) return [];
  const user = event.principal.userName ?? event.principal.name;
  return [
    makeFinding(meta, event, {
      title: `IAM user ${user} signed in to the console of ${event.account} without MFA from ${event.sourceIp ?? 'an unknown IP'}`,
      details: { user, mfaUsed: false, ...(str(event.additionalEventData?.['LoginTo']) ? { loginTo: event.additionalEventData?.['LoginTo'] } : {}) },
    }),
  ];
}

export const detection: Detection = { ...meta, detect };
