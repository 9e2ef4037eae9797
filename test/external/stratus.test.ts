import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { detections } from '../../shared/detections/index.ts';
import { runDetections } from '../../shared/pipeline/run-detections.ts';
import { EXTERNAL_DIR, hasExternal } from '../helpers/events.ts';

// Every Stratus Red Team detonation log replayed through every detection. EXPECTED is the exact set of
// detections that must fire per technique (an empty set says "not detected by a per-event detection",
// with the reason). A technique that starts firing something new fails the test until the table says so.
const EXPECTED: Record<string, { fires: string[]; why?: string }> = {
  // Credential access: reading secrets is legitimate one call at a time; bursts are the API-rate detector's job.
  'aws.credential-access.ec2-get-password-data': { fires: [], why: 'GetPasswordData bursts: rate/anomaly detector, not a per-event rule' },
  'aws.credential-access.ec2-steal-instance-credentials': { fires: [], why: 'instance credentials used from outside: needs source-IP/ASN context (GuardDuty territory)' },
  'aws.credential-access.secretsmanager-batch-retrieve-secrets': { fires: [], why: 'BatchGetSecretValue volume: rate detector' },
  'aws.credential-access.secretsmanager-retrieve-secrets': { fires: [], why: 'GetSecretValue volume: rate detector' },
  'aws.credential-access.ssm-retrieve-securestring-parameters': { fires: [], why: 'GetParameters with decryption volume: rate detector' },
  'aws.defense-evasion.cloudtrail-delete': { fires: ['trail-tampering'] },
  'aws.defense-evasion.cloudtrail-event-selectors': { fires: ['trail-tampering'] },
  'aws.defense-evasion.cloudtrail-stop': { fires: ['trail-tampering'] },
  // Decision: DNS query logging and flow logs are VPC-level evidence, so their removal is a high vpc-changes finding.
  'aws.defense-evasion.dns-delete-logs': { fires: ['vpc-changes'] },
  // The detonation's LeaveOrganization is denied; the attempt itself is reported (high).
  'aws.defense-evasion.organizations-leave': { fires: ['organizations-changes'] },
  'aws.defense-evasion.vpc-remove-flow-logs': { fires: ['vpc-changes'] },
  'aws.discovery.ec2-download-user-data': { fires: [], why: 'DescribeInstanceAttribute userData reads: discovery, rate detector' },
  'aws.execution.ec2-launch-unusual-instances': { fires: [], why: 'unusual instance types: needs a baseline of normal types (anomaly, not a rule)' },
  'aws.execution.ec2-user-data': { fires: [], why: 'ModifyInstanceAttribute userData: not a CIS control; candidate for a future detection' },
  'aws.execution.ssm-send-command': { fires: [], why: 'SendCommand is routine operations; needs context about who normally runs it' },
  'aws.execution.ssm-start-session': { fires: [], why: 'StartSession is routine operations' },
  'aws.exfiltration.ec2-security-group-open-port-22-ingress': { fires: ['security-group-changes'] },
  'aws.exfiltration.ec2-share-ami': { fires: [], why: 'ModifyImageAttribute sharing: data-sharing detections are out of this set' },
  'aws.exfiltration.ec2-share-ebs-snapshot': { fires: [], why: 'ModifySnapshotAttribute sharing: data-sharing detections are out of this set' },
  'aws.exfiltration.rds-share-snapshot': { fires: [], why: 'ModifyDBSnapshotAttribute sharing: data-sharing detections are out of this set' },
  'aws.impact.bedrock-invoke-model': { fires: [], why: 'InvokeModel volume/cost: rate detector' },
  'aws.initial-access.console-login-without-mfa': { fires: ['console-signin-without-mfa'] },
  'aws.lateral-movement.ec2-instance-connect': { fires: [], why: 'SendSSHPublicKey is routine for EC2 Instance Connect users' },
  'aws.lateral-movement.ec2-serial-console-send-ssh-public-key': { fires: [], why: 'serial console access: not a CIS control; candidate for a future detection' },
  // UpdateAssumeRolePolicy adding another account to the trust policy: medium (cross-account trust).
  'aws.persistence.iam-backdoor-role': { fires: ['policy-changed'] },
  'aws.persistence.iam-backdoor-user': { fires: ['credentials-for-other-user'] },
  // The new admin user gets AdministratorAccess (critical) and an access key created by someone else (high).
  'aws.persistence.iam-create-admin-user': { fires: ['credentials-for-other-user', 'policy-changed'] },
  'aws.persistence.iam-create-backdoor-role': { fires: ['policy-changed'] },
  'aws.persistence.iam-create-user-login-profile': { fires: ['credentials-for-other-user'] },
  'aws.persistence.lambda-backdoor-function': { fires: ['policy-changed'] },
  'aws.persistence.lambda-layer-extension': { fires: [], why: 'UpdateFunctionConfiguration on a non-Trailwatch function: code changes are not policy changes' },
  'aws.persistence.lambda-overwrite-code': { fires: [], why: 'UpdateFunctionCode on a non-Trailwatch function (trail-tampering only guards our own)' },
  'aws.persistence.rolesanywhere-create-trust-anchor': { fires: [], why: 'IAM Roles Anywhere trust anchors: not yet covered by policy-changed' },
  'aws.persistence.sts-federation-token': { fires: [], why: 'GetFederationToken: session issuance, not a change' },
  'aws.privilege-escalation.iam-update-user-login-profile': { fires: ['credentials-for-other-user'] },
};

const DIR = join(EXTERNAL_DIR, 'stratus');

describe.skipIf(!hasExternal('stratus'))('Stratus Red Team detonations', () => {
  const files = hasExternal('stratus') ? readdirSync(DIR).filter((f) => f.endsWith('.json')).sort() : [];
  const results = files.map((file) => {
    const technique = file.replace(/\.json$/, '');
    const records = JSON.parse(readFileSync(join(DIR, file), 'utf8')) as unknown[];
    const run = runDetections(records.map((value, i) => ({ value, origin: `${file}#${i}` })), detections);
    return { technique, records: records.length, run, fired: [...new Set(run.findings.map((f) => f.detection))].sort() };
  });

  it('has an expectation for every technique file, and every expectation has a file', () => {
    expect(files.map((f) => f.replace(/\.json$/, ''))).toEqual(Object.keys(EXPECTED).sort());
  });

  it('normalises every record (anonymised regions like eu-west-2r are accepted) without detection errors', () => {
    for (const r of results) {
      expect(r.run.skips, r.technique).toEqual([]);
      expect(r.run.errors, r.technique).toEqual([]);
      expect(r.run.events).toHaveLength(r.records);
    }
  });

  it('fires exactly the expected detections per technique', () => {
    const table = results.map((r) => `${r.technique.padEnd(62)} ${r.fired.join(', ') || '-'}`);
    const detected = results.filter((r) => r.fired.length > 0).length;
    console.log(`Stratus: ${detected}/${results.length} techniques detected\n${table.join('\n')}`);
    for (const r of results) expect(r.fired, r.technique).toEqual([...(EXPECTED[r.technique]?.fires ?? ['<missing>'])].sort());
  });

  it('grades the core techniques as a responder would', () => {
    const sev = (t: string, d: string) => results.find((r) => r.technique === t)?.run.findings.filter((f) => f.detection === d).map((f) => f.severity);
    expect(sev('aws.defense-evasion.cloudtrail-stop', 'trail-tampering')).toEqual(['critical']);
    expect(sev('aws.defense-evasion.cloudtrail-delete', 'trail-tampering')).toEqual(['critical']);
    expect(sev('aws.defense-evasion.cloudtrail-event-selectors', 'trail-tampering')).toEqual(['high']);
    expect(sev('aws.exfiltration.ec2-security-group-open-port-22-ingress', 'security-group-changes')).toEqual(['high']);
    expect(sev('aws.persistence.iam-create-admin-user', 'policy-changed')).toEqual(['critical']);
    expect(sev('aws.persistence.iam-backdoor-role', 'policy-changed')).toEqual(['medium']);
  });
});
