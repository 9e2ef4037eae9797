/**
 * Judges a policy change (as `extractPolicyChange` reads it from CloudTrail) with the engine, for the
 * `policy-changed` detection: what the new document lets someone do that is dangerous. Pure and
 * synchronous. AWS managed policies attached by ARN are judged from the bundled snapshot; customer-
 * managed ones need `iam:GetPolicyVersion`, done later by the policy enricher (status `pending-fetch`).
 */
import { analyze } from './analyze.ts';
import { isAwsManagedPolicyArn, managedPolicyAnalysis } from './managed-policies.ts';
import type { Analysis, PolicyFinding, PolicyKind, PolicySeverity } from './types.ts';
import { boundedMap, remember } from '../memo.ts';

/** The fields of a policy change the engine reads (a structural subset of the detection's PolicyChange). */
export interface PolicyChangeLike {
  kind: string;
  action: string;
  target: { type: string; name?: string; arn?: string };
  policyArn?: string;
  document?: unknown;
  documentError?: string;
  setAsDefault?: boolean;
}

/** What the detection carries in `details.analysis`. */
export interface ChangeAnalysis {
  /**
   * `analysed` (document judged), `aws-managed-snapshot` (judged from the bundled snapshot),
   * `pending-fetch` (customer-managed policy: content fetched by the enricher when deployed),
   * `content-unknown` (no document and nothing to fetch), `not-a-policy` (ACL or permission grant).
   */
  status: 'analysed' | 'aws-managed-snapshot' | 'pending-fetch' | 'content-unknown' | 'not-a-policy';
  /** Worst severity of the findings; absent when nothing was judged. */
  severity?: PolicySeverity;
  findings: Array<Pick<PolicyFinding, 'id' | 'severity' | 'message'> & Partial<Pick<PolicyFinding, 'statements' | 'detail'>>>;
  /** Why a status other than `analysed` (human sentence). */
  note?: string;
  /** Which policy kind the document was judged as. */
  policyKind?: PolicyKind;
  /** Validation issue counts of the judged document. */
  issues?: { errors: number; warnings: number };
  /** For managed-policy versions: the ARN and version the enricher needs. */
  policyArn?: string;
  versionId?: string;
  /** True when the findings are what the change NEWLY grants (compared with the previous version). */
  comparedWithPrevious?: boolean;
}

function kindFor(change: PolicyChangeLike): PolicyKind | undefined {
  switch (change.kind) {
    case 'identity':
      if (change.target.type === 'user') return 'inline-user';
      if (change.target.type === 'group') return 'inline-group';
      if (change.target.type === 'role') return 'inline-role';
      return 'managed';
    case 'version':
      return 'managed';
    case 'trust':
      return 'trust';
    case 'resource':
      return change.target.type === 's3-bucket' ? 's3-bucket' : change.target.type === 'kms-key' ? 'kms-key' : 'resource';
    case 'scp':
      return 'scp';
    case 'rcp':
      return 'rcp';
    default:
      return undefined;
  }
}

function looksLikePolicy(document: unknown): boolean {
  return document !== null && typeof document === 'object' && !Array.isArray(document) && 'Statement' in (document as Record<string, unknown>);
}

/** Converts an engine analysis into the serialisable shape carried by the finding. */
export function toChangeAnalysis(analysis: Analysis, kind: PolicyKind): ChangeAnalysis {
  return {
    status: 'analysed',
    severity: analysis.severity,
    findings: analysis.findings.map((f) => ({ id: f.id, severity: f.severity, message: f.message, statements: f.statements, ...(f.detail ? { detail: f.detail } : {}) })),
    policyKind: kind,
    issues: { errors: analysis.issues.filter((i) => i.level === 'error').length, warnings: analysis.issues.filter((i) => i.level === 'warning').length },
    comparedWithPrevious: analysis.comparedWithPrevious,
  };
}

const MAX_MEMO_ENTRIES = 512;

/**
 * Judgements per distinct (document, policy kind, account), so a document seen again — a pipeline
 * re-applying the same policy, a replay of an archive where the same change recurs — is not
 * validated, compiled and analysed again (≈ 1 ms each, the most expensive step of a replay's
 * detections). The analysis depends on nothing else (no clock, no learned state). A hit returns a
 * copy (`structuredClone`): findings hold their analysis and a caller adds fields to it. Bounded:
 * emptied when full; documents above `MAX_MEMO_KEY` characters are not kept.
 */
const judged = boundedMap<string, ChangeAnalysis>(MAX_MEMO_ENTRIES);
const MAX_MEMO_KEY = 65_536;

function judgedDocument(document: unknown, kind: PolicyKind, account: string | undefined): ChangeAnalysis {
  const text = JSON.stringify(document);
  const key = text.length <= MAX_MEMO_KEY ? `${kind}\u0000${account ?? ''}\u0000${text}` : undefined;
  const known = key === undefined ? undefined : judged.get(key);
  if (known !== undefined) return structuredClone(known);
  const result = toChangeAnalysis(analyze(document, { kind, ...(account ? { account } : {}) }), kind);
  if (key !== undefined) {
    remember(judged, key, structuredClone(result));
  }
  return result;
}

/**
 * Judges the change. Returns undefined for changes without a permission document to judge
 * (detachments, deletions, boundary removals): the detection's own rules decide those.
 */
export function analyzePolicyChange(change: PolicyChangeLike, account: string | undefined, versionId?: string): ChangeAnalysis | undefined {
  // A permissions boundary grants nothing by itself: setting one is not judged by what it allows
  // (removing one is the detection's own rule).
  if (change.kind === 'boundary') return undefined;
  if (change.kind === 'attachment') {
    const arn = change.policyArn;
    if (!arn) return { status: 'content-unknown', findings: [], note: 'the record names no policy ARN' };
    if (isAwsManagedPolicyArn(arn)) {
      const entry = managedPolicyAnalysis(arn);
      if (!entry) return { status: 'content-unknown', findings: [], policyArn: arn, note: `${arn} is not in the bundled AWS managed-policy snapshot (newer than the build)` };
      return {
        status: 'aws-managed-snapshot',
        severity: entry.s,
        findings: entry.f.map(([id, severity, message]) => ({ id, severity, message })),
        policyArn: arn,
        versionId: entry.v,
        note: `judged from the bundled analysis of ${arn} (${entry.v})`,
      };
    }
    return { status: 'pending-fetch', findings: [], policyArn: arn, note: 'customer-managed policy: its default version is fetched with iam:GetPolicyVersion when deployed' };
  }
  if (change.kind === 'version' && change.document === undefined) {
    // SetDefaultPolicyVersion / DeletePolicyVersion: the document is not in the record.
    if (!change.policyArn) return { status: 'content-unknown', findings: [], note: 'the record names no policy ARN' };
    return { status: 'pending-fetch', findings: [], policyArn: change.policyArn, ...(versionId ? { versionId } : {}), note: 'the version document is not in the record: fetched with iam:GetPolicyVersion when deployed' };
  }
  const kind = kindFor(change);
  if (!kind) return undefined;
  if (change.documentError) {
    return {
      status: 'analysed',
      severity: 'medium',
      findings: [{ id: 'invalid-policy', severity: 'medium', message: `The new document could not be read: ${change.documentError}.` }],
      policyKind: kind,
    };
  }
  if (change.document === undefined) return { status: 'content-unknown', findings: [], note: 'the record carries no document' };
  if (!looksLikePolicy(change.document)) return { status: 'not-a-policy', findings: [], note: 'the change is an ACL or a permission grant, not a policy document' };
  const result = judgedDocument(change.document, kind, account);
  if (change.kind === 'version') {
    if (change.policyArn) result.policyArn = change.policyArn;
    if (versionId) result.versionId = versionId;
  }
  return result;
}
