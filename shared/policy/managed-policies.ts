/**
 * Lookup of the precomputed analysis of AWS managed policies (generated at build time by
 * `scripts/gen-managed-policies.ts`, shipped as a JSON file read on first use: shared/data-file.ts): judging `AttachRolePolicy` of
 * `arn:aws:iam::aws:policy/AdministratorAccess` costs one map lookup and no AWS call.
 */
import { readDataJson } from '../data-file.ts';
import type { FindingId, PolicySeverity } from './types.ts';

/** One policy: latest version id, worst severity, findings as [id, severity, message]. */
export interface ManagedPolicyEntry {
  v: string;
  s: PolicySeverity;
  f: Array<[FindingId, PolicySeverity, string]>;
}

export interface ManagedPolicySnapshot {
  generatedBy: string;
  count: number;
  policies: Record<string, ManagedPolicyEntry>;
}

// Read when first asked, not at import: compiling the 219 KB snapshot as a module cost every
// cold start of detect, and most events never ask (docs/performance.md "Cold start").
let snapshot: ManagedPolicySnapshot | undefined;
const data = (): ManagedPolicySnapshot => (snapshot ??= readDataJson<ManagedPolicySnapshot>(new URL('./data/managed-policy-analysis.json', import.meta.url)));

/** True for ARNs of AWS managed policies (`arn:aws:iam::aws:policy/...`, any partition). */
export function isAwsManagedPolicyArn(arn: string): boolean {
  return /^arn:aws[a-z-]*:iam::aws:policy\//.test(arn);
}

/** The precomputed analysis for an AWS managed policy ARN, or undefined when the snapshot does not know it. */
export function managedPolicyAnalysis(arn: string): ManagedPolicyEntry | undefined {
  const normalised = arn.replace(/^arn:aws[a-z-]*:/, 'arn:aws:');
  return data().policies[normalised];
}

/** Number of policies in the bundled snapshot. */
export function managedPolicyCount(): number {
  return data().count;
}
