import { analyzePolicyChange, type ChangeAnalysis } from '../policy/change-analysis.ts';
import { maxSeverity, SEVERITIES } from '../model/types.ts';
import { makeFinding } from './finding.ts';
import { extractPolicyChange, POLICY_CHANGE_MATCHES, type PolicyChange } from './lib/policy-change.ts';
import { awsServiceAccountPurpose } from './lib/aws-service-accounts.ts';
import { actionsGrantedTo, foreignAccounts, grantsFullAdmin, principalValues, publicStatements, statements } from './lib/policy-document.ts';
import { isObject, str } from './lib/values.ts';
import type { Detection, DetectionContext, DetectionMeta, Finding, Severity, TrailEvent } from './types.ts';

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
    mitre: ['T1098', 'T1098.003'],
    stratus: ['aws.persistence.iam-backdoor-role', 'aws.persistence.iam-create-admin-user', 'aws.persistence.iam-create-backdoor-role', 'aws.persistence.lambda-backdoor-function'],
  },
  runbook:
    'Check who made the change and whether a change ticket covers it. Read the new document in the finding: wildcard principals, Allow * on *, new cross-account trust and removed guardrails are the usual backdoors. Revert if unexpected and review what the principal did next.',
  routine: { description: 'IaC deploy roles (Terraform, CloudFormation, CDK) and platform admins, from their pipelines and networks.' },
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
  /** Other accounts the change grants that are not foreign parties, and why (same organization, AWS log delivery). */
  trusted?: Record<string, string>;
}

/**
 * Why `account` is not a foreign party for this change, or undefined when it is: an account of the
 * caller's own organization as far as the events show it (`context.organization`), or an AWS
 * service account granted exactly what its service needs (ELB log delivery writing to a bucket).
 */
export function trustedAccount(account: string, change: PolicyChange, context: DetectionContext | undefined): string | undefined {
  if (context?.organization?.accounts.has(account)) return 'an account of the same organization';
  if (change.kind === 'resource' && change.target.type === 's3-bucket') return awsServiceAccountPurpose(account, actionsGrantedTo(change.document, account));
  return undefined;
}

function isAdminPolicyArn(arn: string | undefined): boolean {
  return arn !== undefined && ADMIN_POLICY_ARNS.has(arn.replace(/^arn:aws-[a-z-]+:/, 'arn:aws:'));
}

/**
 * First-pass severity from simple rules on the change itself. The policy engine may later replace
 * or refine this with a full analysis; keep this function the single place that decides.
 */
export function severityOf(change: PolicyChange, event: TrailEvent, context?: DetectionContext): SeverityVerdict {
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
    const others = foreignAccounts(document, event.account);
    const trusted: Record<string, string> = {};
    for (const a of others) {
      const why = trustedAccount(a, change, context);
      if (why) trusted[a] = why;
    }
    const foreign = others.filter((a) => trusted[a] === undefined);
    if (foreign.length > 0) return { severity: 'medium', reasons: [`grants access to other account(s): ${foreign.join(', ')}`], ...(others.length > foreign.length ? { trusted } : {}) };
    if (others.length > 0) {
      return { severity: 'low', reasons: [`grants access only to ${Object.entries(trusted).map(([a, why]) => `${a} (${why})`).join(', ')}`], trusted };
    }
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
/**
 * The engine findings that count for severity: a `cross-account-access` finding whose accounts are
 * all trusted (same organization, AWS log delivery) is not a foreign grant, and an AWS managed
 * policy attached to a role is AWS's own design for a service role unless the engine finds admin,
 * escalation or public access in it (high or above). What is discounted stays in `details.analysis`
 * and is named in `details.routine`.
 */
export function countedEngineFindings(analysis: ChangeAnalysis, change: PolicyChange, context: DetectionContext | undefined): { findings: ChangeAnalysis['findings']; routine: string[] } {
  const routine: string[] = [];
  const managedOnRole = change.kind === 'attachment' && change.target.type === 'role' && /^arn:aws[a-z-]*:iam::aws:policy\//.test(change.policyArn ?? '');
  const findings = analysis.findings.filter((f) => {
    if (f.id === 'cross-account-access') {
      const accounts = Array.isArray(f.detail?.['accounts']) ? (f.detail['accounts'] as unknown[]).map(String) : [];
      const why = accounts.map((a) => trustedAccount(a, change, context));
      if (accounts.length > 0 && why.every((w) => w !== undefined)) {
        routine.push(`access for ${accounts.map((a, i) => `${a} (${why[i] as string})`).join(', ')}`);
        return false;
      }
    }
    if (managedOnRole && severityRankOf(f.severity) < severityRankOf('high')) {
      routine.push(`AWS managed policy ${change.policyArn ?? ''} on role ${change.target.name ?? ''}: ${f.id}`);
      return false;
    }
    return true;
  });
  return { findings, routine };
}

function severityRankOf(s: string): number {
  return SEVERITIES.indexOf(s as Severity);
}

function withEngineJudgement(verdict: SeverityVerdict, judged: ChangeAnalysis | undefined, change: PolicyChange, context?: DetectionContext): SeverityVerdict {
  if (!judged || (judged.status !== 'analysed' && judged.status !== 'aws-managed-snapshot') || !judged.severity) return verdict;
  const counted = countedEngineFindings(judged, change, context);
  const worst = counted.findings.reduce<Severity | undefined>((w, f) => (w === undefined || severityRankOf(f.severity) > severityRankOf(w) ? (f.severity as Severity) : w), undefined);
  if (worst === undefined) return { ...verdict, reasons: [...verdict.reasons, ...counted.routine.map((r) => `routine: ${r}`)].filter((r, i, all) => all.indexOf(r) === i) };
  const analysis = { ...judged, findings: counted.findings };
  let severity = maxSeverity(meta.severity, worst);
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
export function detect(event: TrailEvent, context?: DetectionContext): Finding[] {
  if (event.errorCode) return [];
  const change = extractPolicyChange(event);
  if (!change) return [];
  const analysis = analyzePolicyChange(change, event.account || undefined, versionIdOf(event));
  const verdict = withEngineJudgement(severityOf(change, event, context), analysis, change, context);
  const routine = analysis ? countedEngineFindings(analysis, change, context).routine : [];
  if (verdict.trusted) for (const [a, why] of Object.entries(verdict.trusted)) if (!routine.some((r) => r.includes(a))) routine.push(`access for ${a} (${why})`);
  const finding = makeFinding(meta, event, {
    title: titleOf(change, event, verdict),
    severity: verdict.severity,
    details: { change, reasons: verdict.reasons, ...(analysis ? { analysis } : {}), ...(routine.length > 0 ? { routine: routine.join('; ') } : {}) },
  });
  // Admin, escalation and public access are dangerous whoever grants them: never routine.
  if (severityRankOf(verdict.severity) >= severityRankOf('high')) finding.inherentRisk = verdict.reasons[0] ?? 'grants admin, privilege escalation or public access';
  return [finding];
}

export const detection: Detection = { ...meta, detect };
