import { makeFinding, matchesEvent } from './finding.ts';
import { failed, who } from './lib/describe.ts';
import { looseBool } from '../model/normalize.ts';
import { str } from './lib/values.ts';
import type { Detection, DetectionMeta, Finding, Severity, TrailEvent } from './types.ts';

export const meta: DetectionMeta = {
  id: 'credentials-for-other-user',
  title: 'Credentials created for another IAM user',
  severity: 'medium',
  description:
    'Someone created an access key or set a console password for an IAM user other than themselves (CreateAccessKey, CreateLoginProfile, UpdateLoginProfile): the classic backdoor, because the caller now holds working credentials of another identity. An access key is high; a password the user is not forced to change is medium; an admin reset with passwordResetRequired is low. Managing your own credentials is not reported. Failed calls are ignored.',
  matches: [{ eventSource: ['iam.amazonaws.com'], eventName: ['CreateAccessKey', 'CreateLoginProfile', 'UpdateLoginProfile'] }],
  references: {
    cis: ['CIS 1.11 (v3.0): do not set up access keys during initial user setup'],
    securityHub: [],
    mitre: ['T1098.001'],
    stratus: ['aws.persistence.iam-backdoor-user', 'aws.persistence.iam-create-admin-user', 'aws.persistence.iam-create-user-login-profile', 'aws.privilege-escalation.iam-update-user-login-profile'],
  },
  runbook:
    'Ask the caller why they created credentials for that user. If unexpected: delete the new access key or login profile, check what the target user can do, and review the caller\'s other actions.',
  routine: { description: 'Key-rotation functions and IAM admins onboarding users.' },
};

/** Fires when a principal creates or resets credentials of a different IAM user. */
export function detect(event: TrailEvent): Finding[] {
  if (!matchesEvent(meta, event) || failed(event)) return [];
  const target = str(event.requestParameters?.['userName']);
  // No userName means the caller acted on itself (IAM defaults to the calling user).
  if (!target) return [];
  const p = event.principal;
  if (target === p.userName || target === p.name) return [];
  const accessKey = event.name === 'CreateAccessKey';
  const resetRequired = looseBool(event.requestParameters?.['passwordResetRequired']) === true;
  const severity: Severity = accessKey ? 'high' : resetRequired ? 'low' : 'medium';
  const what = accessKey ? 'created an access key' : event.name === 'CreateLoginProfile' ? 'set a console password' : 'changed the console password';
  const keyId = str((event.responseElements?.['accessKey'] as Record<string, unknown> | undefined)?.['accessKeyId']);
  return [
    makeFinding(meta, event, {
      title: `${who(event)} ${what} for IAM user ${target} in ${event.account}${!accessKey && !resetRequired ? ' without requiring a reset' : ''}`,
      severity,
      details: { targetUser: target, credential: accessKey ? 'access-key' : 'password', passwordResetRequired: resetRequired, ...(keyId ? { accessKeyId: keyId } : {}) },
    }),
  ];
}

export const detection: Detection = { ...meta, detect };
