import { describe, expect, it } from 'vitest';
import { getDetection } from '../../shared/detections/index.ts';
import { offensiveToolFor, offensiveToolPatterns, OFFENSIVE_TOOLS } from '../../shared/detections/lib/offensive-tools.ts';
import type { Finding } from '../../shared/model/types.ts';
import { sampleEvent } from '../helpers/events.ts';

/** Findings of detection `id` on its own sample `name`. */
function fire(id: string, name: string, context?: Parameters<NonNullable<ReturnType<typeof getDetection>>['detect']>[1]): Finding[] {
  const d = getDetection(id);
  if (!d) throw new Error(`no detection ${id}`);
  return d.detect(sampleEvent(id, name), context);
}

// Severity and inherent risk per positive sample: what a responder should see first.
const GRADES: Array<[id: string, sample: string, severity: string, inherentRisk: boolean]> = [
  ['iam-identity-changes', 'positive-create-user', 'low', false],
  ['iam-identity-changes', 'positive-own-login-profile', 'medium', false],
  ['iam-identity-changes', 'positive-password-policy-deleted', 'high', true],
  ['iam-identity-changes', 'positive-password-policy-weakened', 'medium', false],
  ['compromised-key-quarantine', 'positive-managed-v3-attached', 'high', true],
  ['compromised-key-quarantine', 'positive-inline-quarantine', 'high', true],
  ['identity-provider-changes', 'positive-saml-provider-created', 'high', true],
  ['identity-provider-changes', 'positive-rolesanywhere-trust-anchor', 'high', true],
  ['console-federation', 'positive-signin-token-from-script', 'medium', false],
  ['console-federation', 'positive-federation-token', 'high', false],
  ['console-federation', 'positive-session-token-without-mfa', 'low', false],
  ['offensive-tool-user-agent', 'positive-trufflehog-verifies-key', 'high', true],
  ['offensive-tool-user-agent', 'positive-kali-cli', 'medium', true],
  ['ec2-instance-secrets', 'positive-user-data-modified', 'medium', false],
  ['ec2-instance-secrets', 'positive-password-data-denied', 'low', false],
  ['ssm-remote-access', 'positive-send-shell-command', 'high', false],
  ['ssm-remote-access', 'positive-patch-baseline-by-automation', 'low', false],
  ['ec2-remote-access-keys', 'positive-instance-connect', 'low', false],
  ['ec2-remote-access-keys', 'positive-serial-console-enabled', 'medium', false],
  ['ec2-gpu-instance-launch', 'positive-gpu-launch-denied', 'medium', false],
  ['lambda-code-changes', 'positive-code-replaced', 'low', false],
  ['lambda-code-changes', 'positive-foreign-layer', 'medium', false],
  ['lambda-code-changes', 'positive-public-function-url', 'high', true],
  ['snapshot-sharing', 'positive-ebs-snapshot-shared', 'high', false],
  ['snapshot-sharing', 'positive-ami-public', 'critical', true],
  ['rds-changes', 'positive-made-public', 'high', true],
  ['rds-changes', 'positive-export-to-s3', 'high', false],
  ['data-protection-changes', 'positive-account-bpa-removed', 'high', true],
  ['monitoring-tampering', 'positive-other-rule-disabled', 'low', false],
  ['route53-domain-transfer', 'positive-transfer-to-other-account', 'critical', true],
  ['bedrock-changes', 'positive-invocation-logging-deleted', 'high', true],
  ['security-service-tampering', 'positive-securityhub-findings-suppressed', 'medium', false],
  // One positive sample per behaviour the issue lists (audit of issue 12).
  ['iam-identity-changes', 'positive-group-created', 'low', false],
  ['iam-identity-changes', 'positive-own-password-changed-via-login-profile', 'low', false],
  ['identity-provider-changes', 'positive-saml-provider-metadata-replaced', 'high', true],
  ['identity-provider-changes', 'positive-oidc-provider-deleted', 'medium', false],
  ['identity-provider-changes', 'positive-rolesanywhere-profile-created', 'medium', false],
  ['ec2-remote-access-keys', 'positive-key-pair-created', 'low', false],
  ['ec2-data-export', 'positive-image-exported', 'high', false],
  ['snapshot-sharing', 'positive-rds-cluster-snapshot-shared', 'high', false],
  ['rds-changes', 'positive-restored-as-public', 'high', true],
  ['rds-changes', 'positive-master-password-changed', 'medium', false],
  ['rds-changes', 'positive-snapshot-deleted', 'medium', false],
  ['data-protection-changes', 'positive-bucket-deleted', 'medium', false],
  ['data-protection-changes', 'positive-default-encryption-removed', 'low', false],
  ['security-service-tampering', 'positive-securityhub-insight-changed', 'low', false],
  ['security-service-tampering', 'positive-guardduty-threat-intel-replaced', 'medium', false],
  ['monitoring-tampering', 'positive-other-rule-deleted', 'low', false],
  ['bedrock-changes', 'positive-guardrail-changed', 'low', false],
  ['ecr-registry-policy', 'positive-wildcard-principal', 'high', true],
  ['route53-domain-transfer', 'positive-auth-code-retrieved', 'high', true],
];

describe('new detections grade their samples', () => {
  for (const [id, sample, severity, inherent] of GRADES) {
    it(`${id}/${sample}: ${severity}${inherent ? ', inherently risky' : ''}`, () => {
      const findings = fire(id, sample);
      expect(findings.map((f) => f.severity)).toEqual([severity]);
      expect(findings[0]?.inherentRisk !== undefined).toBe(inherent);
      expect(findings[0]?.title).toMatch(/in 111122223333 \(/);
    });
  }

  it('names what was shared with whom, and who attempted a denied call', () => {
    expect(fire('snapshot-sharing', 'positive-ebs-snapshot-shared')[0]?.details).toMatchObject({ sharedWith: ['444455556666'], public: false, resource: 'snap-0a1b2c3d4e5f67890' });
    expect(fire('ec2-gpu-instance-launch', 'positive-gpu-launch-denied')[0]).toMatchObject({ details: { instanceTypes: ['g5.12xlarge'], maxCount: 10, errorCode: 'Client.UnauthorizedOperation' } });
    expect(fire('ec2-gpu-instance-launch', 'positive-gpu-launch-denied')[0]?.title).toContain('tried to launch up to 10 accelerated');
  });

  it('leaves Trailwatch\'s own rules and functions to trail-tampering, also under a custom prefix', () => {
    expect(fire('monitoring-tampering', 'negative-trailwatch-rule-disabled')).toEqual([]);
    expect(fire('lambda-code-changes', 'negative-trailwatch-own-function')).toEqual([]);
    // With another deployment prefix the same names are somebody else's resources.
    const other = { self: { ruleNamePrefix: 'secmon-', functionNamePrefix: 'secmon-', stackName: 'secmon' } };
    expect(fire('monitoring-tampering', 'negative-trailwatch-rule-disabled', other)).toHaveLength(1);
    expect(fire('lambda-code-changes', 'negative-trailwatch-own-function', other)).toHaveLength(1);
  });

  it('another user\'s console password is credentials-for-other-user\'s, one\'s own is iam-identity-changes\'s — never both', () => {
    const other = sampleEvent('iam-identity-changes', 'negative-login-profile-for-other-user');
    const own = sampleEvent('iam-identity-changes', 'positive-own-login-profile');
    const both = (e: typeof other) => ['iam-identity-changes', 'credentials-for-other-user'].filter((id) => (getDetection(id)?.detect(e).length ?? 0) > 0);
    expect(both(other)).toEqual(['credentials-for-other-user']);
    expect(both(own)).toEqual(['iam-identity-changes']);
  });
});

describe('offensive-tool fingerprints', () => {
  const ORDINARY = [
    'aws-cli/2.22.9 md/awscrt#0.23.4 ua/2.0 os/linux#6.8.0-1019-aws md/arch#x86_64 lang/python#3.12.6 md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe md/distrib#ubuntu.24 md/prompt#off',
    'aws-cli/2.15.0 Python/3.11.6 Darwin/23.1.0 exe/x86_64 prompt/off command/sts.get-caller-identity',
    'Boto3/1.35.54 md/Botocore#1.35.54 ua/2.0 os/linux#5.10.227-219.884.amzn2.x86_64 md/arch#x86_64 lang/python#3.12.7 md/pyimpl#CPython exec-env/AWS_Lambda_python3.12 cfg/retry-mode#legacy Botocore/1.35.54',
    'aws-sdk-js/3.700.0 ua/2.1 os/linux#6.1.0 lang/js md/nodejs#20.18.0 api/sts#3.700.0 m/E',
    'APN/1.0 HashiCorp/1.0 Terraform/1.9.8 (+https://www.terraform.io) terraform-provider-aws/5.75.0 aws-sdk-go-v2/1.32.4 ua/2.1 os/linux lang/go#1.23.2',
    'console.amazonaws.com',
    'AWS Internal',
    'Jersey/${project.version}',
    'signin.amazonaws.com',
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
    'cloudformation.amazonaws.com',
    'stratus-red-team_5c59eb79-6dac-405c-a4c4-e19aec03c666',
  ];

  it('matches none of the ordinary SDK, CLI, console and service user agents', () => {
    for (const ua of ORDINARY) expect(offensiveToolFor(ua)?.tool, ua).toBeUndefined();
  });

  it('recognises real tool spellings', () => {
    expect(offensiveToolFor('TruffleHog')?.tool).toBe('TruffleHog');
    expect(offensiveToolFor('trufflehog/3.63.0')?.tool).toBe('TruffleHog');
    expect(offensiveToolFor('Boto3/1.26.0 Python/3.11.2 Linux/6.1.0-kali7-amd64 Botocore/1.29.0')?.tool).toBe('Kali Linux');
    expect(offensiveToolFor('S3 Browser/12.0.2 https://s3browser.com')?.tool).toBe('S3 Browser');
    expect(offensiveToolFor('HotDogsAreSandwiches')?.tool).toBe('Endgame');
  });

  it('gives the same verdict when asked again (the verdicts are remembered per user agent) and after more distinct user agents than it keeps', () => {
    const cases: Array<[string, string | undefined]> = [['trufflehog/3.63.0', 'TruffleHog'], ['aws-cli/2.15.0', undefined], ['S3 Browser/12.0.2 https://s3browser.com', 'S3 Browser'], ['x S3 Browser/12', undefined]];
    for (let round = 0; round < 3; round++) {
      for (const [ua, tool] of cases) expect(offensiveToolFor(ua)?.tool, `${ua}, round ${round}`).toBe(tool);
      // Past the bound the remembered verdicts are dropped, never mixed up.
      for (let i = 0; i < 5000; i++) expect(offensiveToolFor(`aws-sdk-js/3.${i}.0${i % 1000 === 7 ? ' Pacu' : ''}`)?.tool).toBe(i % 1000 === 7 ? 'Pacu' : undefined);
    }
  });

  it('every tool names its source, and the rule gets exactly the detection\'s patterns', () => {
    for (const t of OFFENSIVE_TOOLS) expect(t.source.length, t.tool).toBeGreaterThan(10);
    expect(offensiveToolPatterns()).toEqual([...new Set(OFFENSIVE_TOOLS.flatMap((t) => t.patterns))].sort());
  });
});
