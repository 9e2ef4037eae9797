import { ANY, inherentlyRisky, makeFinding } from './finding.ts';
import { str } from './lib/values.ts';
import type { Detection, DetectionMeta, Finding, Severity, TrailEvent } from './types.ts';

/**
 * Root calls that are normally a side effect of root enabling a feature in the console. Panther
 * suppresses them; we still report (root credentials were used) but at low severity.
 */
export const ROOT_SIDE_EFFECT_CALLS = new Set(['CreateServiceLinkedRole']);

/**
 * Root enrolling an MFA device: the hardening step AWS asks for, so low — but still reported, because
 * enrolling an attacker's device is also how a hijacked root account is kept.
 */
export const ROOT_MFA_ENROLMENT_CALLS = new Set(['CreateVirtualMFADevice', 'EnableMFADevice', 'ResyncMFADevice']);

/**
 * `invokedBy` values that are root's own console session rather than a service acting for root:
 * older records mark console actions `invokedBy: signin.amazonaws.com`. Every other invokedBy is skipped (CIS).
 */
const ROOT_SESSION_INVOKERS = new Set(['signin.amazonaws.com']);

export const meta: DetectionMeta = {
  id: 'root-activity',
  title: 'Root user activity',
  severity: 'high',
  description:
    'An API call made with root credentials (CIS "root account usage": userIdentity.type Root, not invokedBy an AWS service — except signin.amazonaws.com, which marks root\'s own console session in older records —, not an AwsServiceEvent). ConsoleLogin and the other steps of a sign-in (CheckMfa, CredentialChallenge, CredentialVerification) are left to root-signin; other root sign-in events (PasswordUpdated, password recovery) count when they succeed. Includes centralized-root sessions created by sts:AssumeRoot (member account, Root with a temporary ASIA key outside a console session), and flags the AssumeRoot call itself in the management account. Failed root calls are reported too: the credentials were used. Read-only calls are medium, root access keys are critical, CreateServiceLinkedRole is low.',
  matches: [
    // Any service, any name: the principal type decides. The rule generator must add userIdentity.type Root.
    { eventSource: [ANY], eventName: [ANY] },
  ],
  references: {
    cis: ['CIS 3.3 (v1.2): usage of the root account', 'CIS 4.3 (v1.4/v3.0): usage of the root account', 'CIS 1.7 (v3.0): eliminate use of the root user'],
    securityHub: ['CloudWatch.1'],
    mitre: ['T1078.004'],
    urls: ['https://docs.aws.amazon.com/IAM/latest/UserGuide/cloudtrail-track-privileged-tasks.html'],
  },
  runbook:
    'Ask the root credential owner (or, for AssumeRoot, the management-account principal) what task this was. If nobody claims it: reset the root password and MFA, delete root access keys, and review every root call since the sign-in or key creation.',
  routine: { description: 'Nobody: root acts only in break-glass drills and the few tasks that require root.', learnable: false },
};

/** Steps of one console sign-in: root-signin already alerts on the sign-in, so these would repeat it. */
const SIGN_IN_STEPS = new Set(['ConsoleLogin', 'CheckMfa', 'CredentialChallenge', 'CredentialVerification', 'UserAuthentication']);

function isSignInFailure(event: TrailEvent): boolean {
  const outcome = event.responseElements?.[event.name];
  return outcome === 'Failure' || (event.source === 'signin.amazonaws.com' && event.errorMessage !== undefined);
}

function assumeRootFinding(event: TrailEvent): Finding[] {
  const rp = event.requestParameters;
  const target = str(rp?.['targetPrincipal']) ?? 'an unknown account';
  const taskPolicyArn = str((rp?.['taskPolicyArn'] as Record<string, unknown> | undefined)?.['arn']) ?? str(rp?.['taskPolicyArn']) ?? 'an unknown task policy';
  const task = taskPolicyArn.split('/').pop();
  return [
    makeFinding(meta, event, {
      title: `${event.principal.name} ${event.errorCode ? 'tried to assume' : 'assumed'} root in account ${target} for task ${task} (sts:AssumeRoot)`,
      severity: 'high',
      details: { kind: 'assume-root', targetAccount: target, taskPolicyArn, ...(event.errorCode ? { errorCode: event.errorCode } : {}) },
    }),
  ];
}

/** Fires on root API calls (and AssumeRoot) with the CIS exclusions; grades what the root credential did. */
export function detect(event: TrailEvent): Finding[] {
  if (event.source === 'sts.amazonaws.com' && event.name === 'AssumeRoot') return assumeRootFinding(event);
  const p = event.principal;
  if (p.type !== 'Root' || event.eventType === 'AwsServiceEvent') return [];
  if (p.invokedBy !== undefined && !ROOT_SESSION_INVOKERS.has(p.invokedBy)) return [];
  if (SIGN_IN_STEPS.has(event.name) || isSignInFailure(event)) return [];
  const key = p.accessKeyId ?? '';
  const fromConsole = p.sessionCredentialFromConsole === true;
  const centralized = key.startsWith('ASIA') && !fromConsole && event.eventType === 'AwsApiCall';
  const accessKey = key.startsWith('AKIA');
  let severity: Severity = event.readOnly === true ? 'medium' : meta.severity;
  const notes: string[] = [];
  if (accessKey) {
    severity = 'critical';
    notes.push('made with a long-term root access key');
  }
  if (centralized) notes.push('a centralized root session from sts:AssumeRoot (temporary root credentials issued to the management account)');
  if (ROOT_SIDE_EFFECT_CALLS.has(event.name) && !accessKey) {
    severity = 'low';
    notes.push(`${event.name} is usually a side effect of root enabling a service in the console`);
  }
  if (ROOT_MFA_ENROLMENT_CALLS.has(event.name) && !accessKey) {
    severity = 'low';
    notes.push('root enrolled an MFA device: expected when securing root, persistence if root was taken over');
  }
  const outcome = event.errorCode ? ` (failed: ${event.errorCode})` : '';
  const findings = [
    makeFinding(meta, event, {
      title: `Root user called ${event.source.replace(/\.amazonaws\.com$/, '')}:${event.name} in ${event.account}${centralized ? ' via AssumeRoot' : accessKey ? ' with a root access key' : ''}${outcome}`,
      severity,
      details: {
        kind: centralized ? 'assumed-root-session' : accessKey ? 'root-access-key' : fromConsole ? 'root-console-session' : 'root-credentials',
        readOnly: event.readOnly === true,
        ...(key ? { accessKeyId: key } : {}),
        ...(event.errorCode ? { errorCode: event.errorCode } : {}),
        notes,
      },
    }),
  ];
  // Root acting is dangerous in itself, except the low side effects above (service-linked roles, MFA enrolment).
  return severity === 'low' ? findings : inherentlyRisky(findings, 'the root user acted');
}

export const detection: Detection = { ...meta, detect };
