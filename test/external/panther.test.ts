import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { detections } from '../../shared/detections/index.ts';
import type { Finding } from '../../shared/model/types.ts';
import { runDetections } from '../../shared/pipeline/run-detections.ts';
import { EXTERNAL_DIR, hasExternal } from '../helpers/events.ts';

// Agreement with Panther's CloudTrail rule tests (panther-labs/panther-analysis). Every Panther rule is
// mapped either to the Trailwatch behaviour that covers it (`covers`: which findings count as "Trailwatch
// alerts on this") or to a reason it is not comparable. Over the comparable cases we compute the share
// where Trailwatch and Panther agree, and every disagreement is listed below with its reason.

interface Case {
  rule: string;
  category: string;
  name: string;
  expected: boolean;
  log: Record<string, unknown>;
  mocks?: unknown[];
}

type Mapping = { covers: (f: Finding) => boolean; via: string } | { notComparable: string };

const by = (id: string) => (f: Finding) => f.detection === id;
const atLeast = (id: string, severities: string[]) => (f: Finding) => f.detection === id && severities.includes(f.severity);
const HIGH_OR_MORE = ['high', 'critical'];
const change = (f: Finding) => (f.details['change'] ?? {}) as Record<string, unknown>;

const RATE = 'threshold / rate rule: belongs to the API-rate detector (another subsystem), not a per-event detection';
const NOT_COVERED = 'behaviour not covered by Trailwatch per-event detections (see docs/detections.md, "Not covered")';

const MAPPING: Record<string, Mapping> = {
  // cloudtrail_tamper
  'AWS.CloudTrail.Created': { covers: by('trail-tampering'), via: 'trail-tampering (CreateTrail is in the CIS CloudTrail-changes list)' },
  'AWS.CloudTrail.EventSelectorsDisabled': { covers: atLeast('trail-tampering', HIGH_OR_MORE), via: 'trail-tampering graded high when selectors drop management/write events' },
  'AWS.CloudTrail.ShortLifecycle': { notComparable: `${NOT_COVERED}: needs to know which bucket holds the trail (Panther mocks it)` },
  'AWS.CloudTrail.Stopped': { covers: atLeast('trail-tampering', HIGH_OR_MORE), via: 'trail-tampering graded high/critical (StartLogging is an info finding)' },
  // config
  'AWS.ConfigService.Created': { covers: (f) => f.detection === 'config-changes' && f.details['stopsRecording'] === false, via: 'config-changes (not stopping recording)' },
  'AWS.ConfigService.DisabledDeleted': { covers: (f) => f.detection === 'config-changes' && f.details['stopsRecording'] === true, via: 'config-changes (stops recording, high)' },
  // console_login
  'AWS.CloudTrail.PasswordSpraying': { notComparable: RATE },
  'AWS.Console.GetSigninToken.Abuse': { covers: by('console-federation'), via: 'console-federation (GetSigninToken outside the Identity Center portal)' },
  'AWS.Console.LoginWithoutMFA': {
    covers: (f) => f.detection === 'console-signin-without-mfa' || (f.detection === 'root-signin' && f.details['outcome'] === 'success' && f.details['mfaUsed'] === false),
    via: 'console-signin-without-mfa for IAM users; root-signin (title says WITHOUT MFA) for root',
  },
  'AWS.Console.LoginWithoutSAML': { notComparable: 'organisation policy choice (all console access must be SAML); Trailwatch does not assume one' },
  'AWS.Console.Sign-In': { notComparable: `${NOT_COVERED}: generic sign-in feed, not an alert` },
  'AWS.Unsuccessful.MFA.attempt': { covers: by('console-auth-failures'), via: 'console-auth-failures' },
  'Standard.BruteForceByIP': { notComparable: RATE },
  'Standard.BruteForceByUser': { notComparable: RATE },
  // iam_creation
  'AWS.CloudTrail.IAMEntityCreatedWithoutCloudFormation': { notComparable: 'organisation choice (IaC-only IAM changes, allow-listed roles)' },
  'AWS.CloudTrail.LoginProfileCreatedOrModified': { covers: (f) => f.detection === 'credentials-for-other-user' && f.details['credential'] === 'password', via: 'credentials-for-other-user (password)' },
  'AWS.IAM.Backdoor.User.Keys': { covers: (f) => f.detection === 'credentials-for-other-user' && f.details['credential'] === 'access-key', via: 'credentials-for-other-user (access key)' },
  'AWS.IAM.CreateRole': { covers: (f) => f.detection === 'policy-changed' && change(f)['kind'] === 'trust', via: 'policy-changed (a trust policy was set)' },
  'AWS.IAM.CreateUser': { covers: (f) => f.detection === 'iam-identity-changes' && f.eventName === 'CreateUser', via: 'iam-identity-changes (IAM user created)' },
  'AWS.IAM.CredentialsUpdated': {
    covers: (f) => f.detection === 'iam-identity-changes' || f.detection === 'credentials-for-other-user',
    via: 'iam-identity-changes (own password / login profile) with credentials-for-other-user (another user\'s)',
  },
  'AWS.User.Login.Profile.Modified': { covers: (f) => f.detection === 'credentials-for-other-user' && f.details['credential'] === 'password' && f.details['passwordResetRequired'] === false, via: 'credentials-for-other-user, password without forced reset (medium)' },
  // iam_policy_change
  'AWS.CloudTrail.IAMAnythingChanged': { covers: by('policy-changed'), via: 'policy-changed (the policy part of "any IAM change")' },
  'AWS.CloudTrail.IAMCompromisedKeyQuarantine': { covers: atLeast('compromised-key-quarantine', HIGH_OR_MORE), via: 'compromised-key-quarantine (AWS flagged a leaked key: high)' },
  'AWS.IAM.AccessKeyCompromised': { covers: atLeast('compromised-key-quarantine', HIGH_OR_MORE), via: 'compromised-key-quarantine (inline AWSCompromisedKeyQuarantine policy: high)' },
  'AWS.IAM.AttachAdminRolePolicy': { covers: atLeast('policy-changed', ['critical']), via: 'policy-changed, critical for AdministratorAccess' },
  'AWS.IAM.AttachAdminUserPolicy': { covers: atLeast('policy-changed', ['critical']), via: 'policy-changed, critical for AdministratorAccess' },
  'AWS.IAM.BackdoorRole': { covers: atLeast('policy-changed', HIGH_OR_MORE), via: 'policy-changed, high for a trust policy open to "*"' },
  'AWS.IAM.PolicyModified': { covers: by('policy-changed'), via: 'policy-changed' },
  'AWS.Potential.Backdoor.Lambda': { covers: by('policy-changed'), via: 'policy-changed (Lambda AddPermission)' },
  // kms
  'AWS.KMS.CustomerManagedKeyLoss': { covers: by('kms-key-deletion'), via: 'kms-key-deletion' },
  // network
  'AWS.CloudTrail.NetworkACLPermissiveEntry': { covers: atLeast('nacl-changes', ['medium', 'high', 'critical']), via: 'nacl-changes graded medium+ for internet-wide inbound allow' },
  'AWS.EC2.GatewayModified': { covers: by('network-gateway-changes'), via: 'network-gateway-changes' },
  'AWS.EC2.ManualSecurityGroupChange': { notComparable: 'organisation choice (changes outside Terraform/IaC user agents)' },
  'AWS.EC2.NetworkACLModified': { covers: by('nacl-changes'), via: 'nacl-changes' },
  'AWS.EC2.RouteTableModified': { covers: by('route-table-changes'), via: 'route-table-changes' },
  'AWS.EC2.SecurityGroupModified': { covers: by('security-group-changes'), via: 'security-group-changes' },
  'AWS.EC2.VPCModified': { covers: by('vpc-changes'), via: 'vpc-changes' },
  // org_account
  'AWS.CloudTrail.AttemptToLeaveOrg': { covers: by('organizations-changes'), via: 'organizations-changes (a denied LeaveOrganization is reported)' },
  'AWS.CloudTrail.EnableRegion': { covers: by('region-enabled'), via: 'region-enabled (account.amazonaws.com EnableRegion)' },
  'AWS.UnusedRegion': { notComparable: 'organisation choice (a region allow-list)' },
  // recon_rate
  'AWS.CloudTrail.Account.Discovery': { notComparable: RATE },
  'AWS.CloudTrail.Password.Policy.Discovery': { notComparable: RATE },
  'AWS.CloudTrail.UserAccessKeyAuth': { notComparable: RATE },
  'AWS.IAM.Group.Read.Only.Events': { notComparable: RATE },
  'AWS.STS.GetCallerIdentity.TruffleHog': { covers: (f) => f.detection === 'offensive-tool-user-agent' && f.details['tool'] === 'TruffleHog', via: 'offensive-tool-user-agent (TruffleHog fingerprint)' },
  'AWS.Software.Discovery': { notComparable: RATE },
  // root
  'AWS.CloudTrail.RootAccessKeyCreated': { covers: by('root-activity'), via: 'root-activity (any root call, incl. key creation)' },
  'AWS.CloudTrail.RootPasswordChanged': { covers: by('root-activity'), via: 'root-activity (root PasswordUpdated success)' },
  'AWS.Console.RootLogin': { covers: (f) => f.detection === 'root-signin' && f.details['outcome'] === 'success', via: 'root-signin (success)' },
  'AWS.Console.RootLoginFailed': { covers: (f) => f.detection === 'root-signin' && f.details['outcome'] === 'failure', via: 'root-signin (failure)' },
  'AWS.Root.Activity': { covers: (f) => f.detection === 'root-activity' || f.detection === 'root-signin', via: 'root-activity, with root-signin for ConsoleLogin' },
  // s3_policy
  'AWS.CloudTrail.ResourceMadePublic': { covers: atLeast('policy-changed', HIGH_OR_MORE), via: 'policy-changed, high for a wildcard principal without restricting condition' },
  'AWS.S3.BucketPolicyModified': { covers: by('policy-changed'), via: 'policy-changed (PutBucketAcl/PutBucketPolicy)' },
  'AWS.S3.DeletePublicAccessBlock': { covers: atLeast('s3-bucket-config-changes', HIGH_OR_MORE), via: 's3-bucket-config-changes, high when Block Public Access is removed' },
  'AWS.S3.SecurityControlDisabling': { covers: by('s3-bucket-config-changes'), via: 's3-bucket-config-changes (logging off, versioning suspended, MFA delete off)' },
  // security_service_tamper
  'AWS.CloudTrail.DNSLogsDeleted': { covers: by('vpc-changes'), via: 'vpc-changes (DNS query logging removed, high)' },
  'AWS.CloudTrail.SecurityConfigurationChange': { covers: by('trail-tampering'), via: 'trail-tampering' },
  'AWS.IPSet.Modified': { covers: by('security-service-tampering'), via: 'security-service-tampering (GuardDuty trusted IP lists); its logs use lower-cased keys, so not comparable case by case' },
  'AWS.Macie.Evasion': { covers: by('security-service-tampering'), via: 'security-service-tampering (Macie session changes; pausing is high)' },
  'AWS.SecurityHub.Finding.Evasion': { covers: by('security-service-tampering'), via: 'security-service-tampering (insights deleted, findings updated/archived)' },
  'AWS.VPCFlow.LogsDeleted': { covers: by('vpc-changes'), via: 'vpc-changes (flow logs removed, high)' },
  // unauthorized_api
  'AWS.CloudTrail.UnauthorizedAPICall': { notComparable: RATE },
  'AWS.CloudTrail.VPCE.AccessDenied': { notComparable: RATE },
  'AWS.IAMUser.ReconAccessDenied': { notComparable: RATE },
};

/** Rules whose mocks do not change the outcome under Trailwatch semantics (enrichment only, or a choice we make without configuration). */
const MOCKS_IRRELEVANT = new Set(['AWS.Console.RootLogin', 'AWS.Console.LoginWithoutMFA']);

/** Every case where Trailwatch and Panther disagree, keyed `rule | case name`, with the reason. */
const EXPECTED_DISAGREEMENTS: Record<string, string> = {
  'AWS.Root.Activity | Root Activity - CreateServiceLinkedRole':
    'Panther allow-lists root CreateServiceLinkedRole; we still report it (root credentials were used) but at low severity.',
  'AWS.Root.Activity | Root Read-Only Enumeration':
    'Panther ignores root reads; CIS "root usage" counts every root call, and root enumerating IAM is how a takeover starts (medium).',
  'AWS.CloudTrail.RootAccessKeyCreated | Root Created Access Key For User':
    'Panther only cares about keys for root itself; any root call is root activity for us.',
  'AWS.Console.LoginWithoutMFA | No MFA Login - New User':
    'Panther grants new accounts a grace period (mocked check_account_age); a console password without MFA is a risk from day one.',
  'AWS.CloudTrail.EnableRegion | EnableRegion':
    'Panther\'s test log says eventSource cloudtrail.amazonaws.com; EnableRegion is an AWS Account Management call (account.amazonaws.com), which is what region-enabled and its EventBridge rule match.',
  'AWS.STS.GetCallerIdentity.TruffleHog | Different STS Event with TruffleHog Agent':
    'Panther looks only at GetCallerIdentity; any call made by TruffleHog means a scanner holds working credentials, so offensive-tool-user-agent reports every API.',
};

function loadCases(): Case[] {
  return readFileSync(join(EXTERNAL_DIR, 'panther', 'cases.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l.trim().length > 0)
    .map((l) => JSON.parse(l) as Case);
}

/** Panther's test logs omit fields every real record has; fill them so the comparison is about semantics. */
function asRecord(c: Case, index: number): Record<string, unknown> {
  const log = Object.fromEntries(Object.entries(c.log).filter(([k]) => !k.startsWith('p_')));
  if (log['eventID'] === undefined) log['eventID'] = `panther-case-${index}`;
  if (log['eventTime'] === undefined) log['eventTime'] = '2024-01-01T00:00:00Z';
  return log;
}

function comparability(c: Case): string | undefined {
  const mapping = MAPPING[c.rule];
  if (!mapping) return 'unmapped rule';
  if ('notComparable' in mapping) return mapping.notComparable;
  if (!('eventName' in c.log)) return 'lower-cased keys (Panther matches keys case-insensitively; CloudTrail never does this)';
  if (c.mocks && !MOCKS_IRRELEVANT.has(c.rule)) return 'depends on Panther mocks';
  return undefined;
}

describe.skipIf(!hasExternal('panther'))('Panther agreement', () => {
  const cases = hasExternal('panther') ? loadCases() : [];
  const results = cases.map((c, index) => {
    const reason = comparability(c);
    if (reason) return { c, key: `${c.rule} | ${c.name}`, comparable: false as const, reason };
    const mapping = MAPPING[c.rule] as { covers: (f: Finding) => boolean; via: string };
    const run = runDetections([{ value: asRecord(c, index) }], detections);
    const fired = run.findings.some(mapping.covers);
    return { c, key: `${c.rule} | ${c.name}`, comparable: true as const, fired, agrees: fired === c.expected, run };
  });
  const comparable = results.filter((r) => r.comparable);

  it('maps every Panther rule', () => {
    const rules = [...new Set(cases.map((c) => c.rule))].sort();
    expect(rules.filter((r) => !MAPPING[r])).toEqual([]);
    expect(Object.keys(MAPPING).filter((r) => !rules.includes(r))).toEqual([]);
  });

  it('no detection throws on any Panther log', () => {
    for (const r of comparable) expect(r.run?.errors ?? [], r.key).toEqual([]);
  });

  it('agrees with Panther on the comparable cases, and every disagreement is justified', () => {
    const agreeing = comparable.filter((r) => r.agrees).length;
    const rate = agreeing / comparable.length;
    const disagreements = comparable.filter((r) => !r.agrees).map((r) => r.key).sort();
    console.log(
      `Panther agreement: ${agreeing}/${comparable.length} comparable cases = ${(rate * 100).toFixed(1)}% ` +
        `(${cases.length} cases, ${cases.length - comparable.length} not comparable)\n` +
        disagreements.map((k) => `  disagree: ${k} (Panther ${results.find((r) => r.key === k)?.c.expected ? 'fires' : 'quiet'})`).join('\n'),
    );
    expect(disagreements).toEqual(Object.keys(EXPECTED_DISAGREEMENTS).sort());
    expect(rate).toBeGreaterThanOrEqual(0.95);
  });

  it('compares a meaningful share of the suite', () => {
    expect(comparable.length).toBeGreaterThanOrEqual(100);
  });
});
