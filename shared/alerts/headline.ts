import type { Finding } from '../model/types.ts';
import { humanTime, type AlertDigest } from './format.ts';
import { affectedResource } from './links.ts';

/**
 * What happened, in a few words, for the e-mail subject, the Slack header and the push
 * notification: "admin granted to user ci-deployer", "bucket logs made public", "root signed in
 * without MFA" — rather than the detection id. Raw text (it contains attacker-chosen names): each
 * channel escapes it.
 */

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() ? value.trim() : undefined;
}

const TARGET_WORD: Record<string, string> = {
  user: 'user',
  role: 'role',
  group: 'group',
  'managed-policy': 'policy',
  's3-bucket': 'bucket',
  'kms-key': 'KMS key',
  'sns-topic': 'topic',
  'sqs-queue': 'queue',
  'lambda-function': 'function',
  secret: 'secret',
  'ecr-repository': 'repository',
  'opensearch-domain': 'domain',
  'organization-policy': 'Organizations policy',
  'organization-target': 'Organizations target',
};

function targetText(finding: Finding): string {
  const res = affectedResource(finding);
  if (!res) return 'a policy';
  const name = res.name.startsWith('arn:') ? (res.name.split(/[/:]/).pop() ?? res.name) : res.name;
  return `${TARGET_WORD[res.type] ?? res.type} ${name}`;
}

/** The first risky-grant id of a policy analysis (`analysis.findings[0].id` or `analysis[0].id`). */
function topGrant(details: Record<string, unknown>): string | undefined {
  const analysis = details['analysis'];
  const list = Array.isArray(analysis) ? analysis : asRecord(analysis)?.['findings'];
  if (!Array.isArray(list)) return undefined;
  const order = ['admin-access', 'privilege-escalation', 'public-access', 'cross-account-access', 'passrole-wildcard', 'data-access-wildcard'];
  const ids = list.map((i) => str(asRecord(i)?.['id'])).filter((x): x is string => x !== undefined);
  return order.find((id) => ids.includes(id)) ?? ids[0];
}

function policyHeadline(finding: Finding): string {
  const target = targetText(finding);
  switch (topGrant(finding.details ?? {})) {
    case 'admin-access':
      return `admin granted to ${target}`;
    case 'privilege-escalation':
      return `privilege escalation opened for ${target}`;
    case 'public-access':
      return `${target} made public`;
    case 'cross-account-access':
      return `${target} opened to another account`;
    case 'passrole-wildcard':
      return `${target} may pass any role`;
    case 'data-access-wildcard':
      return `${target} may read all data`;
    default:
      return `policy changed on ${target}`;
  }
}

function rateHeadline(finding: Finding): string {
  const d = finding.details ?? {};
  const who = finding.principal.name || 'unknown principal';
  const observed = typeof d['observed'] === 'number' ? d['observed'] : undefined;
  const normal = asRecord(d['baseline'])?.['expectedPerMinute'];
  const rate = observed !== undefined ? ` ${observed}/min${typeof normal === 'number' ? ` (normal ${normal < 10 ? normal.toFixed(1) : Math.round(normal)})` : ''}` : '';
  return finding.detection === 'api-error-rate-anomaly' ? `denied-call burst by ${who}:${rate}` : `API burst by ${who}:${rate}`;
}

/** A few words saying what happened (raw; escape per channel). */
export function headline(finding: Finding): string {
  const d = finding.details ?? {};
  const who = finding.principal.name || 'unknown principal';
  const tried = d['attempted'] === true ? 'attempt: ' : '';
  switch (finding.detection) {
    case 'policy-changed':
      return policyHeadline(finding);
    case 'api-rate-anomaly':
    case 'api-error-rate-anomaly':
      return rateHeadline(finding);
    case 'root-signin':
      return d['outcome'] === 'failure' ? 'failed root sign-in' : d['mfaUsed'] === false ? 'root signed in without MFA' : 'root signed in';
    case 'root-activity':
      return `root called ${finding.eventName}`;
    case 'console-signin-without-mfa':
      return `${who} signed in without MFA`;
    case 'console-auth-failures':
      return `failed console sign-in for ${str(d['user']) ?? who}`;
    case 'mfa-deactivated':
      return `MFA removed from ${str(d['userName']) ?? (d['rootMfa'] === true ? 'root' : who)}`;
    case 'credentials-for-other-user':
      return `${d['credential'] === 'access-key' ? 'access key' : 'password'} created for ${str(d['targetUser']) ?? 'another user'} by ${who}`;
    default: {
      const effect = str(d['effect']);
      const res = affectedResource(finding);
      if (effect) return `${tried}${effect}${res ? ` on ${res.name}` : ''}`;
      return `${tried}${finding.eventName}${res ? ` on ${res.name}` : ''} by ${who}`;
    }
  }
}

/**
 * What a digest is about, for its header, push text and subject: the count and its findings'
 * headlines — "3 × failed console sign-in for bob" when all of them say the same, else
 * "297 findings: admin granted to user a; policy changed on role b; …" — rather than the detection
 * id (kept in the footer). Raw text: each channel escapes it.
 */
export function digestHeadline(digest: AlertDigest): string {
  if (digest.summary) return `Daily summary ${digest.summary.day}: ${digest.count} finding(s)`;
  if (digest.incident) {
    // Short enough for an e-mail subject: the time of day of the page (the sentence gives the full date).
    const at = humanTime(digest.incident.pagedAt).replace(/^\d{4}-\d\d-\d\d /, '');
    const first = digest.samples[0] ? `: ${headline(digest.samples[0])}${digest.count > 1 ? '; …' : ''}` : '';
    return `${digest.count} more since the ${at} page${first}`;
  }
  const heads = [...new Set(digest.samples.map((f) => headline(f)))];
  if (heads.length === 0) return `${digest.count} × ${digest.detection}`;
  // "N × what" only when every finding of the group was seen and says the same; else the first ones and "…".
  if (heads.length === 1 && digest.count <= digest.samples.length) return `${digest.count} × ${heads[0]}`;
  return `${digest.count} findings: ${heads.slice(0, 2).join('; ')}${heads.length > 2 || digest.count > digest.samples.length ? '; …' : ''}`;
}

/** The short name of a digest's principal for a subject: the first finding's principal name, else the label the group is keyed on. */
export function digestWho(digest: AlertDigest): string {
  return digest.samples[0]?.principal?.name || digest.principal;
}
