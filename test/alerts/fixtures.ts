import { detection as rootSignin } from '../../shared/detections/root-signin.ts';
import type { Finding } from '../../shared/model/types.ts';
import { sampleEvent } from '../helpers/events.ts';

/** The real root-signin finding for the no-MFA sample, through the detection. */
export function rootSigninFinding(): Finding {
  const [finding] = rootSignin.detect(sampleEvent('root-signin', 'positive-success-no-mfa'));
  if (!finding) throw new Error('root-signin did not fire on its positive sample');
  return finding;
}

/** A policy-change finding shaped like the policy engine's output (array of risky grants). */
export function policyFinding(overrides: Partial<Finding> = {}, index = 0): Finding {
  const statement = { Effect: 'Allow', Action: '*', Resource: '*' };
  return {
    detection: 'policy-changed',
    severity: 'critical',
    title: `IAM user policy AdminAccess attached inline to user ci-deployer grants full admin (*:*)`,
    eventId: `7f1d6c3a-0000-4000-8000-${String(index).padStart(12, '0')}`,
    eventName: 'PutUserPolicy',
    eventSource: 'iam.amazonaws.com',
    time: `2026-11-20T09:${String(Math.floor(index / 60) % 60).padStart(2, '0')}:${String(index % 60).padStart(2, '0')}Z`,
    account: '111122223333',
    region: 'us-east-1',
    principal: { type: 'AssumedRole', name: 'terraform', arn: 'arn:aws:sts::111122223333:assumed-role/deploy/terraform', sessionIssuerArn: 'arn:aws:iam::111122223333:role/deploy', mfa: false },
    sourceIp: '203.0.113.10',
    userAgent: 'APN/1.0 HashiCorp/1.0 Terraform/1.9.5',
    details: {
      userName: 'ci-deployer',
      policyName: 'AdminAccess',
      analysis: [{ id: 'full-admin', severity: 'critical', message: 'Allows every action on every resource', statements: [statement] }],
    },
    runbook: 'Find who approved this change; if nobody did, delete the policy and rotate the principal credentials.',
    references: { mitre: ['T1098'] },
    ...overrides,
  };
}
