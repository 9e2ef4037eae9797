import { describe, expect, it } from 'vitest';
import { analyze, ESCALATION_PATHS, evaluate } from '../../shared/policy/index.ts';
import type { AnalysisContext, EscalationPath, EscalationStep } from '../../shared/policy/index.ts';
import { CATALOGUES, JUDGED_DIFFERENTLY } from './escalation-catalogue.ts';

type Stmt = Record<string, unknown>;
const doc = (...Statement: Stmt[]) => ({ Version: '2012-10-17', Statement });

function pathsOf(policy: unknown, context: AnalysisContext = {}): Array<{ id: string; name: string; witnesses: Array<Record<string, unknown>> }> {
  const f = analyze(policy, { kind: 'identity', ...context }).findings.find((x) => x.id === 'privilege-escalation');
  return (f?.detail?.['paths'] as Array<{ id: string; name: string; witnesses: Array<Record<string, unknown>> }>) ?? [];
}
const flagged = (policy: unknown, id: string, context: AnalysisContext = {}): boolean => pathsOf(policy, context).some((p) => p.id === id);
const grant = (s: EscalationStep, Resource: unknown = '*', extra: Stmt = {}): Stmt => ({ Effect: 'Allow', Action: s.anyOf[0], Resource, ...extra });

/** A Resource for the step that cannot be abused: an AWS-owned policy, the caller itself, or another service's resource. */
function unabusable(s: EscalationStep): string {
  if (s.resource === 'iam-policy') return 'arn:aws:iam::aws:policy/*';
  if (s.notSelf) return 'arn:aws:iam::*:user/${aws:username}';
  return 'arn:aws:s3:::not-a-target-of-this-path/*';
}

describe('escalation catalogue: every path is flagged and named; its near-misses are not', () => {
  let nearMisses = 0;
  let falsePositives = 0;
  const fp: string[] = [];
  const expectNot = (policy: unknown, p: EscalationPath, why: string, context: AnalysisContext = {}): void => {
    nearMisses++;
    if (flagged(policy, p.id, context)) {
      falsePositives++;
      fp.push(`${p.id}: ${why}`);
    }
  };

  for (const p of ESCALATION_PATHS) {
    it(`${p.id}: ${p.name}`, () => {
      // The minimal policy granting the path is flagged, names it, and its witnesses evaluate to Allow.
      const minimal = doc(...p.steps.map((s) => grant(s)));
      const found = pathsOf(minimal).find((x) => x.id === p.id);
      expect(found, `${p.id} minimal policy`).toBeDefined();
      expect(found?.name).toBe(p.name);
      expect(found?.witnesses.length).toBe(p.steps.length);
      for (const w of found?.witnesses ?? []) {
        const r = evaluate({ request: w as never, identityPolicies: [{ name: 'p', policy: minimal }] });
        expect(r.decision, JSON.stringify(w)).toBe('Allow');
      }
      // Held across several policies of one principal, it is judged together.
      if (p.steps.length > 1) {
        const [first, ...rest] = p.steps;
        expect(flagged(doc(grant(first as EscalationStep)), p.id, { otherPolicies: rest.map((s) => doc(grant(s))) })).toBe(true);
        // A permissions boundary without the last step's action removes it.
        const boundary = doc({ Effect: 'Allow', Action: p.steps.slice(0, -1).flatMap((s) => s.anyOf), Resource: '*' });
        expectNot(minimal, p, 'boundary without the last step', { permissionsBoundary: boundary });
      }
      // Near-misses: one permission missing, an explicit Deny, resources that cannot be abused.
      p.steps.forEach((_, i) => {
        expectNot(doc(...p.steps.filter((__, j) => j !== i).map((s) => grant(s))), p, `step ${i} missing`);
        const denied = p.steps[i] as EscalationStep;
        expectNot(doc(...p.steps.map((s) => grant(s)), { Effect: 'Deny', Action: denied.anyOf, Resource: '*' }), p, `step ${i} denied`);
      });
      expectNot(doc(...p.steps.map((s) => grant(s, unabusable(s)))), p, 'unabusable resources');
      // iam:PassedToService limited to the path's service keeps it; to an unrelated service removes it.
      const pass = p.steps.find((s) => s.passedTo);
      if (pass) {
        const withService = (service: string) =>
          doc(...p.steps.map((s) => (s === pass ? grant(s, '*', { Condition: { StringEquals: { 'iam:PassedToService': service } } }) : grant(s))));
        expect(flagged(withService(pass.passedTo?.[0] as string), p.id), 'PassedToService = its service').toBe(true);
        expectNot(withService('iot.amazonaws.com'), p, 'PassedToService = an unrelated service');
      }
    });
  }

  it('reports the near-miss false-positive count (must be 0)', () => {
    console.log(`escalation catalogue: ${ESCALATION_PATHS.length} paths; near-miss policies ${nearMisses}, false positives ${falsePositives}`);
    expect(fp).toEqual([]);
    expect(nearMisses).toBeGreaterThan(200);
  });
});

describe('recall over the published catalogues', () => {
  it('every entry of Rhino, pathfinding.cloud, PMapper and Cloudsplaining is flagged or judged differently (with the reason)', () => {
    const covered: string[] = [];
    const missed: string[] = [];
    const sources = new Set(ESCALATION_PATHS.flatMap((p) => p.sources));
    for (const entry of CATALOGUES) {
      const policy = doc({ Effect: 'Allow', Action: entry.permissions, Resource: '*' });
      const paths = pathsOf(policy);
      if (paths.length > 0) covered.push(entry.id);
      else missed.push(entry.id);
      // Every catalogue entry an EscalationPath claims to encode is really flagged.
      if (sources.has(entry.id)) expect(paths.length, entry.id).toBeGreaterThan(0);
    }
    const distinct = new Set(CATALOGUES.map((e) => [...e.permissions].sort().join('+')));
    const distinctCovered = new Set(CATALOGUES.filter((e) => covered.includes(e.id)).map((e) => [...e.permissions].sort().join('+')));
    console.log(
      `escalation recall: ${covered.length}/${CATALOGUES.length} catalogue entries, ${distinctCovered.size}/${distinct.size} distinct permission sets (${((100 * distinctCovered.size) / distinct.size).toFixed(1)}%); judged differently: ${missed.join(', ')}`,
    );
    expect(missed.sort()).toEqual(Object.keys(JUDGED_DIFFERENTLY).sort());
  });
});

describe('conditional paths', () => {
  it('PassRole + lambda:CreateFunction is flagged one step lower and names what else it needs', () => {
    const policy = doc({ Effect: 'Allow', Action: ['iam:PassRole', 'lambda:CreateFunction'], Resource: '*' });
    const f = analyze(policy, { kind: 'identity' }).findings.find((x) => x.id === 'privilege-escalation');
    expect(f?.severity).toBe('medium');
    expect(f?.message).toContain('needs an existing trigger or event source mapping');
    const p = (f?.detail?.['paths'] as Array<{ id: string; conditional: boolean; needs?: string }>).find((x) => x.id === 'pmapper-lambda-create-function');
    expect(p?.conditional).toBe(true);
    // With a way to invoke it the unconditional path is found as well, and the finding is high.
    const invoke = doc({ Effect: 'Allow', Action: ['iam:PassRole', 'lambda:CreateFunction', 'lambda:InvokeFunction'], Resource: '*' });
    expect(analyze(invoke, { kind: 'identity' }).findings.find((x) => x.id === 'privilege-escalation')?.severity).toBe('high');
  });
});
