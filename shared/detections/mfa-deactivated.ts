import { makeFinding, matchesEvent } from './finding.ts';
import { failed, who } from './lib/describe.ts';
import { str } from './lib/values.ts';
import type { Detection, DetectionContext, DetectionMeta, Finding, TrailEvent } from './types.ts';

export const meta: DetectionMeta = {
  id: 'mfa-deactivated',
  title: 'MFA device deactivated or deleted',
  severity: 'high',
  description:
    'An MFA device was deactivated (DeactivateMFADevice) or a virtual MFA device deleted (DeleteVirtualMFADevice). Removing MFA is a classic step before taking over an account. Critical when it is the root user\'s MFA. A device replaced is not MFA removed: where the MFA-replacement processor runs (shared/mfa: the deployed rates function, and replay by default), an IAM user\'s removal is low at once and becomes a high finding only if the same caller enables no new device for that user within 15 minutes. Failed calls are ignored.',
  matches: [{ eventSource: ['iam.amazonaws.com'], eventName: ['DeactivateMFADevice', 'DeleteVirtualMFADevice'] }],
  references: {
    cis: ['CIS 1.5 (v3.0): MFA for the root user', 'CIS 1.10 (v3.0): MFA for IAM users with a console password'],
    securityHub: ['IAM.9', 'IAM.5'],
    mitre: ['T1556.006'],
  },
  runbook:
    'Ask the owner whether they are replacing the device. If not: re-enable MFA, reset the password and access keys of the affected user (or root) and review what it did since.',
  routine: { description: 'Users replacing an MFA device (deactivate and delete, then create and enable minutes later).' },
};

/**
 * Whose MFA a call is about: root's, or an IAM user's — `userName`, else the last path segment of
 * an `…:mfa/<name>` serial (DeleteVirtualMFADevice names only the device). The MFA-replacement
 * processor (shared/mfa) keys on the same answer, so detect defers exactly what it judges.
 */
export function mfaSubject(event: TrailEvent): { root: boolean; user?: string } {
  const rp = event.requestParameters;
  const serial = str(rp?.['serialNumber']);
  const userName = str(rp?.['userName']);
  // Root: the caller is root and names no user, or the device is root's (…:mfa/root-account-mfa-device, …:root).
  const root = (event.principal.type === 'Root' && !userName) || (serial !== undefined && /:mfa\/root-account-mfa-device$|:root$/.test(serial));
  const user = userName ?? (serial ? /:mfa\/(?:.*\/)?([^/]+)$/.exec(serial)?.[1] : undefined);
  return user !== undefined && !root ? { root, user } : { root };
}

/** Fires on a successful MFA deactivation or virtual MFA deletion; root's device is critical. */
export function detect(event: TrailEvent, context?: DetectionContext): Finding[] {
  if (!matchesEvent(meta, event) || failed(event)) return [];
  const rp = event.requestParameters;
  const serial = str(rp?.['serialNumber']);
  const userName = str(rp?.['userName']);
  const subject = mfaSubject(event);
  const isRoot = subject.root;
  const owner = isRoot ? 'the root user' : userName ? `user ${userName}` : serial ? `device ${serial}` : 'an unknown user';
  // Deferred only what the replacement processor can judge (a user it can name); root never.
  const deferred = subject.user !== undefined && context?.mfaReplacement !== undefined ? context.mfaReplacement.windowMinutes : undefined;
  const finding = makeFinding(meta, event, {
    title: `${who(event)} ${event.name === 'DeactivateMFADevice' ? 'deactivated the MFA device of' : 'deleted the virtual MFA device of'} ${owner} in ${event.account}${deferred !== undefined ? ` (pages if no new device is enabled within ${deferred} minutes)` : ''}`,
    severity: isRoot ? 'critical' : deferred !== undefined ? 'low' : 'high',
    details: { action: event.name, rootMfa: isRoot, ...(userName ? { userName } : {}), ...(serial ? { serialNumber: serial } : {}), ...(deferred !== undefined ? { replacementCheck: `pending (${deferred} minutes)` } : {}) },
  });
  if (deferred === undefined) finding.inherentRisk = isRoot ? 'MFA removed from the root user' : `MFA removed from ${owner}`;
  return [finding];
}

export const detection: Detection = { ...meta, detect };
