import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { detections } from '../../shared/detections/index.ts';
import { normalize } from '../../shared/model/normalize.ts';
import { runDetections } from '../../shared/pipeline/run-detections.ts';
import { EXTERNAL_DIR, hasExternal, readJson } from '../helpers/events.ts';

// Documented example records (AWS docs, EventBridge console sample, Stratus, Panther): each must
// normalise and fire exactly the detections listed, at the listed severity.
const DIR = join(EXTERNAL_DIR, 'aws-examples');

const EXPECTED: Record<string, Array<[detection: string, severity: string]>> = {
  // The IAM guide's AssumeRoot example omits eventID (real records have one); the test adds one, see below.
  'AssumeRoot.iamdocs.json': [['root-activity', 'high']],
  'AttachRolePolicy.stratus.json': [['policy-changed', 'critical']],
  'AttachUserPolicy.stratus.json': [['policy-changed', 'critical']],
  'ConsoleLogin.iam-user-failure.awsdocs.json': [['console-auth-failures', 'low']],
  'ConsoleLogin.iam-user-no-mfa.stratus.json': [['console-signin-without-mfa', 'medium']],
  'ConsoleLogin.iam-user-success-mfa.awsdocs.json': [],
  'ConsoleLogin.iam-user-success-no-mfa.awsdocs.json': [['console-signin-without-mfa', 'medium']],
  'ConsoleLogin.root-failure.awsdocs.json': [['root-signin', 'high']],
  'ConsoleLogin.root-failure.eventbridge-console-sample.json': [['root-signin', 'high']],
  'ConsoleLogin.root-success-mfa.awsdocs.json': [['root-signin', 'critical']],
  'ConsoleLogin.root-success-no-mfa.awsdocs.json': [['root-signin', 'critical']],
  // Trust policy of a new role: the account's own principals only.
  'CreateRole.stratus.json': [['policy-changed', 'medium']],
  // A new IAM user: iam-identity-changes reports it (low; the noise model learns who creates users).
  'CreateUser.stratus.json': [['iam-identity-changes', 'low']],
  'DeleteBucketPolicy.assumeroot-session.iamdocs.json': [['policy-changed', 'low'], ['root-activity', 'high']],
  // Root enrolling MFA: mfa-deactivated must stay quiet; root-activity reports root use at low (see docs/detections.md).
  'EnableMFADevice.root.awsdocs.json': [['root-activity', 'low']],
  'LeaveOrganization.stratus.json': [['organizations-changes', 'high']],
  'PutBucketPolicy.panther.json': [['policy-changed', 'high']],
  'PutKeyPolicy.panther.json': [['policy-changed', 'low']],
  'PutUserPolicy.panther.json': [['policy-changed', 'low']],
  'UpdateAssumeRolePolicy.stratus.json': [['policy-changed', 'medium']],
};

function records(file: string): unknown[] {
  const value = readJson(join(DIR, file));
  const list = Array.isArray(value) ? value : [value];
  // The doc example is the only record without an eventID; give it one so it is checked like the rest.
  return file === 'AssumeRoot.iamdocs.json'
    ? list.map((r) => ({ ...(r as Record<string, unknown>), eventID: '9f1c2e3d-4b5a-4c6d-8e7f-0a1b2c3d4e5f', eventType: 'AwsApiCall' }))
    : list;
}

describe.skipIf(!hasExternal('aws-examples'))('AWS documented example records', () => {
  const files = hasExternal('aws-examples') ? readdirSync(DIR).filter((f) => f.endsWith('.json') && f !== 'SOURCES.json').sort() : [];

  it('covers every example file', () => {
    expect(files.filter((f) => !f.startsWith('AwsCloudTrailInsight'))).toEqual(Object.keys(EXPECTED).sort());
  });

  for (const file of Object.keys(EXPECTED)) {
    it(`${file} normalises and fires ${EXPECTED[file]!.map(([d, s]) => `${d}/${s}`).join(', ') || 'nothing'}`, () => {
      const run = runDetections(records(file).map((value) => ({ value })), detections);
      expect(run.skips).toEqual([]);
      expect(run.errors).toEqual([]);
      const fired = run.findings.map((f) => [f.detection, f.severity]).sort();
      expect(fired).toEqual([...EXPECTED[file]!].sort());
    });
  }

  it('the AssumeRoot call names the target account and task policy', () => {
    const run = runDetections(records('AssumeRoot.iamdocs.json').map((value) => ({ value })), detections);
    expect(run.findings[0]?.details).toMatchObject({ targetAccount: '222222222222', taskPolicyArn: 'arn:aws:iam::aws:policy/root-task/S3UnlockBucketPolicy' });
  });

  it('the AssumeRoot session in the member account is labelled as such', () => {
    const run = runDetections(records('DeleteBucketPolicy.assumeroot-session.iamdocs.json').map((value) => ({ value })), detections);
    expect(run.findings.find((f) => f.detection === 'root-activity')?.details['kind']).toBe('assumed-root-session');
  });

  it('Insights records never crash and never alert: skipped with a reason or normalised without findings', () => {
    for (const r of records('AwsCloudTrailInsight.UpdateInstanceInformation.awsdocs.json')) {
      const n = normalize(r);
      if (!n.ok) expect(n.skip.reason.length).toBeGreaterThan(0);
      else expect(detections.flatMap((d) => d.detect(n.event))).toEqual([]);
    }
  });
});
