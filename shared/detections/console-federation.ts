import { judgedDetect, matchesOf, type Judge, type JudgeTable } from './lib/judged.ts';
import { path, str } from './lib/values.ts';
import type { Detection, DetectionMeta, TrailEvent } from './types.ts';

/**
 * The IAM Identity Center portal exchanges role sessions for console sign-in tokens itself: its
 * GetSigninToken calls come from `AWSReservedSSO_*` role sessions with the portal's Java client
 * (`Jersey/…` user agent). Anything else calling GetSigninToken is a tool turning API credentials
 * into a console session (aws_consoler, Pacu's console module).
 */
function isIdentityCenterPortal(e: TrailEvent): boolean {
  const arn = e.principal.arn ?? e.principal.sessionIssuer?.arn ?? '';
  return /AWSReservedSSO_/.test(arn) && (e.userAgent ?? '').startsWith('Jersey/');
}

const signinToken: Judge = (e) =>
  isIdentityCenterPortal(e)
    ? undefined
    : { severity: 'medium', effect: 'API credentials exchanged for a console sign-in token (GetSigninToken)', details: { identityCenterPortal: false } };

const federationToken: Judge = (e) => {
  const name = str(e.requestParameters?.['name']);
  const federated = str(path(e.responseElements, 'federatedUser', 'arn'));
  const policy = str(e.requestParameters?.['policy']);
  const allowsEverything = policy !== undefined && /"Action"\s*:\s*\[?\s*"\*"/.test(policy) && /"Effect"\s*:\s*"Allow"/.test(policy);
  return {
    severity: allowsEverything ? 'high' : 'medium',
    effect: `federation token issued${name ? ` for "${name}"` : ''}: a session that outlives revoking the caller's role sessions${allowsEverything ? ', with a session policy allowing every action' : ''}`,
    ...(federated ? { resource: federated } : {}),
    details: { federatedUserName: name, sessionPolicyAllowsAll: allowsEverything },
  };
};

/** GetSessionToken with MFA is the normal CLI MFA flow; without MFA it only hides a long-term key behind a temporary one. */
const sessionToken: Judge = (e) => {
  if (str(e.requestParameters?.['serialNumber'])) return undefined;
  return { severity: 'low', effect: 'session token issued without MFA (a long-term key hidden behind a temporary key)', details: { mfa: false } };
};

const JUDGES: JudgeTable = {
  'signin.amazonaws.com': { GetSigninToken: signinToken },
  'sts.amazonaws.com': { GetFederationToken: federationToken, GetSessionToken: sessionToken },
};

export const meta: DetectionMeta = {
  id: 'console-federation',
  title: 'API credentials turned into console or federated sessions',
  severity: 'medium',
  description:
    'GetSigninToken outside the IAM Identity Center portal (tools such as aws_consoler pivot from stolen keys to the console); GetFederationToken (a federated session that survives deleting the caller\'s role sessions; high when its session policy allows "*"); GetSessionToken without MFA (low: the long-term key is hidden behind an ASIA key). GetSessionToken with an MFA serial number is the routine CLI flow and not reported. Failed calls are ignored.',
  matches: matchesOf(JUDGES),
  references: {
    cis: [],
    securityHub: [],
    mitre: ['T1550.001', 'T1078.004'],
    stratus: ['aws.persistence.sts-federation-token'],
    urls: ['https://github.com/NetSPI/aws_consoler'],
  },
  runbook:
    'Ask the caller. If it was not them: deactivate the access key that was used (sessions from GetFederationToken/GetSessionToken keep working until the key is deactivated or a deny policy with aws:TokenIssueTime is attached), then review what the federated or console session did.',
  routine: { description: 'Some CI systems and break-glass tools use GetFederationToken; GetSessionToken without MFA comes from legacy scripts.', learnable: true },
};

export const detect = judgedDetect(meta, JUDGES);

export const detection: Detection = { ...meta, detect };
