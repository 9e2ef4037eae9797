import { analyzePolicyChange, type ChangeAnalysis } from '../policy/change-analysis.ts';
import { maxSeverity, SEVERITIES } from '../model/types.ts';
import { makeFinding } from './finding.ts';
import { extractPolicyChange, POLICY_CHANGE_MATCHES, type PolicyChange } from './lib/policy-change.ts';
import { foreignAccounts, grantsFullAdmin, principalValues, publicStatements, statements } from './lib/policy-document.ts';
import { isObject, str } from './lib/values.ts';
import type { Detection, DetectionMeta, Finding, Severity, TrailEvent } from './types.ts';

export const meta: DetectionMeta = {
  id: 'policy-changed',
  title: 'Permission policy changed',
  severity: 'low',
  description:
    'An identity, trust, boundary, resource or Organizations (SCP/RCP) policy was created, changed, attached, detached or deleted. Covers the CIS "IAM policy changes" metric filter and extends it to trust policies, permissions boundaries, resource policies (S3, KMS, SNS, SQS, Lambda, Secrets Manager, ECR, OpenSearch domains) and Organizations guardrails. The finding carries the new document parsed. Failed calls (errorCode set) are ignored: the policy did not change.',
  matches: POLICY_CHANGE_MATCHES,
  references: {
    cis: ['CIS 3.4 (v1.2): IAM policy changes', 'CIS 4.4 (v1.4/v3.0): IAM policy changes'],
    securityHub: ['CloudWatch.4'],
    mitre: ['T1098', 'T1484.001'],
  },
  runbook:
    'Check who made the change and whether a change ticket covers it. Read the new document in the finding: wildcard principals, Allow * on *, new cross-account trust and removed guardrails are the usual backdoors. Revert if unexpected and review what the principal did next.',
};

/** AWS managed policies that amount to (near) full control of an account. */
const ADMIN_POLICY_ARNS = new Set([
  'arn:aws:iam::aws:policy/AdministratorAccess',
  'arn:aws:iam::aws:policy/IAMFullAccess',
  'arn:aws:iam::aws:policy/AWSOrganizationsFullAccess',
]);

export interface SeverityVerdict {
  severity: Severity;
  /** Why, in words a responder reads in the alert. */
  reasons: string[];
}

function isAdminPolicyArn(arn: string | undefined): boolean {
  return arn !== undefined && ADMIN_POLICY_ARNS.has(arn.replace(/^arn:aws-[a-z-]+:/, 'arn:aws:'));
}

/**
 * First-pass severity from simple rules on the change itself. The policy engine may later replace
 * or refine this with a full analysis; keep this function the single place that decides.
 */
export function severityOf(change: PolicyChange, event: TrailEvent): SeverityVerdict {
  const { kind, document } = change;
  if (kind === 'attachment' && change.service === 'iam' && isAdminPolicyArn(change.policyArn)) {
    return { severity: 'critical', reasons: [`attaches ${change.policyArn}`] };
  }
  if (kind === 'identity' || kind === 'version') {
    if (statements(document).some(grantsFullAdmin)) {
      const inForce = kind !== 'version' || change.setAsDefault === true;
      return inForce
        ? { severity: 'critical', reasons: ['the new document allows * on *'] }
        : { severity: 'high', reasons: ['a non-default policy version allows * on * (one SetDefaultPolicyVersion away from admin)'] };
    }
  }
  if (kind === 'trust' || kind === 'resource') {
    const open = publicStatements(document);
    if (open.length > 0) return { severity: 'high', reasons: [`${open.length} statement(s) allow any principal ("*") without a restricting condition`] };
    if (change.target.type === 's3-bucket' && isPublicAcl(document)) return { severity: 'high', reasons: ['the bucket ACL grants access to AllUsers or AuthenticatedUsers'] };
    const foreign = foreignAccounts(document, event.account);
    if (foreign.length > 0) return { severity: 'medium', reasons: [`grants access to other account(s): ${foreign.join(', ')}`] };
    if (kind === 'trust' && statements(document).some((s) => principalValues(s.Principal).some((p) => p.startsWith('arn:aws:iam::') && p.includes(':saml-provider/')))) {
      return { severity: 'low', reasons: ['trust for a SAML provider'] };
    }
  }
  if (kind === 'boundary' && change.removed) return { severity: 'medium', reasons: ['a permissions boundary was removed'] };
  if ((kind === 'detachment' || kind === 'deletion') && change.service === 'organizations') {
    return { severity: 'medium', reasons: ['an Organizations guardrail policy was detached or deleted'] };
  }
  if (change.documentError) return { severity: 'medium', reasons: [`the new document could not be read (${change.documentError})`] };
  return { severity: meta.severity, reasons: [] };
}

/** S3 canned ACLs and grants that open a bucket to everyone or every AWS account. */
function isPublicAcl(document: unknown): boolean {
  if (!isObject(document)) return false;
  const canned = str(document['cannedAcl']);
  if (canned && ['public-read', 'public-read-write', 'authenticated-read'].includes(canned)) return true;
  return JSON.stringify(document).includes('acs.amazonaws.com/groups/global/');
}

function describeTarget(change: PolicyChange): string {
  const t = change.target;
  return `${t.type}${t.name ? ` ${t.name}` : t.arn ? ` ${t.arn}` : ''}`;
}

function titleOf(change: PolicyChange, event: TrailEvent, verdict: SeverityVerdict): string {
  const what = change.policyName ?? change.policyArn;
  const base = `${event.principal.name} ran ${change.action} on ${describeTarget(change)}${what && what !== change.target.name ? ` (${what})` : ''}`;
  return verdict.reasons.length > 0 && verdict.severity !== 'low' ? `${base}: ${verdict.reasons[0]}` : base;
}

/** The policy version a CreatePolicyVersion created or a SetDefaultPolicyVersion switched to. */
function versionIdOf(event: TrailEvent): string | undefined {
  const created = event.responseElements?.['policyVersion'];
  const fromResponse = isObject(created) ? str(created['versionId']) : undefined;
  return fromResponse ?? str(event.requestParameters?.['versionId']);
}

/**
 * When the policy engine judged the document (shared/policy), its worst finding sets the severity
 * (at least the detection's default; a policy version that is not the default is one step lower,
 * as it is not in force) and its top finding is the reason a responder reads first. Changes the
 * engine does not judge (detachments, boundary removal, ACLs, permission grants) keep the rules above.
 */
function withEngineJudgement(verdict: SeverityVerdict, analysis: ChangeAnalysis | undefined, change: PolicyChange): SeverityVerdict {
  if (!analysis || (analysis.status !== 'analysed' && analysis.status !== 'aws-managed-snapshot') || !analysis.severity) return verdict;
  let severity = maxSeverity(meta.severity, analysis.severity);
  if (change.kind === 'version' && change.setAsDefault !== true && severity !== meta.severity) {
    severity = maxSeverity(meta.severity, SEVERITIES[SEVERITIES.indexOf(severity) - 1] ?? meta.severity);
  }
  const top = [...analysis.findings].sort((a, b) => SEVERITIES.indexOf(b.severity) - SEVERITIES.indexOf(a.severity))[0];
  // The engine's sentence leads when it changed the verdict; when both agree the first-pass reason stays.
  const engineLeads = top !== undefined && severity !== meta.severity && (severity !== verdict.severity || verdict.reasons.length === 0);
  const reasons = engineLeads ? [top.message, ...verdict.reasons.filter((r) => r !== top.message)] : verdict.reasons;
  return { severity, reasons };
}

/** Fires on every successful policy change, with the parsed change and a first-pass severity. */
export function detect(event: TrailEvent): Finding[] {
  if (event.errorCode) return [];
  const change = extractPolicyChange(event);
  if (!change) return [];
  const analysis = analyzePolicyChange(change, event.account || undefined, versionIdOf(event));
  const verdict = withEngineJudgement(severityOf(change, event), analysis, change);
  return [
    makeFinding(meta, event, {
      title: titleOf(change, event, verdict),
      severity: verdict.severity,
      details: { change, reasons: verdict.reasons, ...(analysis ? { analysis } : {}) },
    }),
  ];
}

export const detection: Detection = { ...meta, detect };
