import { makeFinding, matchesEvent } from './finding.ts';
import { failed, who } from './lib/describe.ts';
import { str } from './lib/values.ts';
import type { Detection, DetectionMeta, Finding, TrailEvent } from './types.ts';

export const meta: DetectionMeta = {
  id: 'kms-key-deletion',
  title: 'KMS key disabled or scheduled for deletion',
  severity: 'high',
  description:
    'A customer managed KMS key was disabled or scheduled for deletion (CIS "disabling or scheduled deletion of customer created CMKs"). Data encrypted under a deleted key is lost for good; attackers use it for ransom and sabotage. Failed calls are ignored.',
  matches: [{ eventSource: ['kms.amazonaws.com'], eventName: ['DisableKey', 'ScheduleKeyDeletion'] }],
  references: {
    cis: ['CIS 3.7 (v1.2): disabling or scheduled deletion of CMKs', 'CIS 4.7 (v1.4/v3.0): disabling or scheduled deletion of CMKs'],
    securityHub: ['CloudWatch.7'],
    mitre: ['T1485', 'T1486'],
  },
  runbook:
    'If unexpected, cancel it now: `aws kms cancel-key-deletion` / `aws kms enable-key`. Then find what the key protects and who made the call.',
  routine: { description: 'Preview and test environment teardown by the IaC deploy role.' },
};

/** Fires on a successful DisableKey or ScheduleKeyDeletion; names the key and the deletion date. */
export function detect(event: TrailEvent): Finding[] {
  if (!matchesEvent(meta, event) || failed(event)) return [];
  const keyId = str(event.requestParameters?.['keyId']) ?? str(event.responseElements?.['keyId']) ?? 'unknown key';
  const deletionDate = str(event.responseElements?.['deletionDate']);
  const pendingDays = event.requestParameters?.['pendingWindowInDays'];
  const scheduled = event.name === 'ScheduleKeyDeletion';
  return [
    makeFinding(meta, event, {
      title: scheduled
        ? `${who(event)} scheduled KMS key ${keyId} for deletion${deletionDate ? ` on ${deletionDate}` : ''}`
        : `${who(event)} disabled KMS key ${keyId}`,
      details: {
        keyId,
        action: scheduled ? 'scheduled-deletion' : 'disabled',
        ...(deletionDate ? { deletionDate } : {}),
        ...(typeof pendingDays === 'number' ? { pendingWindowInDays: pendingDays } : {}),
      },
    }),
  ];
}

export const detection: Detection = { ...meta, detect };
