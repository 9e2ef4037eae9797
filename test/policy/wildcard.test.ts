import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { matchArnItems } from '../../shared/policy/arn.ts';
import { clearPatternMemos, compileGlob, intersectGlobs, matchAction, matchWildcard, patternRegions, QMARK, STAR } from '../../shared/policy/wildcard.ts';
import type { PatternItem } from '../../shared/policy/wildcard.ts';

/** Reference: wildcard -> anchored RegExp (fine for the short strings fast-check generates). */
function reference(pattern: string, value: string, ignoreCase: boolean): boolean {
  const source = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[\\s\\S]*').replace(/\?/g, '[\\s\\S]');
  return new RegExp(`^${source}$`, ignoreCase ? 'iu' : 'u').test(value);
}

const alphabet = fc.constantFrom('a', 'b', 'A', ':', '/', '*', '?', '-');
const patternArb = fc.array(alphabet, { maxLength: 10 }).map((a) => a.join(''));
const valueArb = fc.array(fc.constantFrom('a', 'b', 'A', ':', '/', '-'), { maxLength: 12 }).map((a) => a.join(''));

describe('wildcard matching', () => {
  it('agrees with a regular-expression reference (property)', () => {
    fc.assert(
      fc.property(patternArb, valueArb, fc.boolean(), (p, v, ci) => {
        expect(matchWildcard(p, v, ci)).toBe(reference(p, v, ci));
      }),
      { numRuns: 2000, seed: 42 },
    );
  });

  it('a pattern always matches itself with wildcards replaced by literal characters (property)', () => {
    fc.assert(
      fc.property(patternArb, (p) => {
        expect(matchWildcard(p, p.replace(/\*/g, 'xyz').replace(/\?/g, 'q'))).toBe(true);
      }),
      { numRuns: 500, seed: 7 },
    );
  });

  it('actions are case-insensitive, * and ? work', () => {
    expect(matchAction('s3:Get*', 'S3:GETOBJECT')).toBe(true);
    expect(matchAction('s3:Get?bject', 's3:GetObject')).toBe(true);
    expect(matchAction('s3:*', 's3x:GetObject')).toBe(false);
    expect(matchAction('*', 'anything:At')).toBe(true);
    expect(matchAction('iam:PassRole', 'iam:passrole')).toBe(true);
  });

  it('resources are case-sensitive', () => {
    expect(matchWildcard('arn:aws:s3:::Bucket/*', 'arn:aws:s3:::bucket/x')).toBe(false);
  });

  it('stays linear on hostile patterns', () => {
    const pattern = `${'*a'.repeat(2000)}b`;
    const value = 'a'.repeat(5000);
    expect(matchWildcard(pattern, value)).toBe(false);
  });
});

describe('ARN matching field by field', () => {
  const arn = (p: string, v: string): boolean => matchArnItems(compileGlob(p), v);

  it('wildcards do not cross colons in the first five fields', () => {
    expect(arn('arn:aws:iam::*:role/x', 'arn:aws:iam::123456789012:role/x')).toBe(true);
    expect(arn('arn:aws:*:role/x', 'arn:aws:iam::123456789012:role/x')).toBe(false);
    expect(arn('arn:aws:s3:::*', 'arn:aws:s3:::bucket/key')).toBe(true);
    expect(arn('arn:aws:ec2:*:*:instance/*', 'arn:aws:ec2:us-east-1:123456789012:instance/i-1')).toBe(true);
  });

  it('the resource field keeps its colons and matches across them', () => {
    expect(arn('arn:aws:lambda:*:*:function:*', 'arn:aws:lambda:us-east-1:1:function:f:alias')).toBe(true);
    expect(arn('arn:aws:logs:us-east-1:1:log-group:*', 'arn:aws:logs:us-east-1:1:log-group:/a/b:log-stream:x')).toBe(true);
  });

  it('a bare * matches anything, including non-ARNs', () => {
    expect(arn('*', 'arn:aws:s3:::b')).toBe(true);
    expect(arn('*', 'not-an-arn')).toBe(true);
  });

  it('field-wise matching equals matching each field on its own (property)', () => {
    const field = fc.array(fc.constantFrom('a', 'b', '1', '*', '?'), { maxLength: 4 }).map((a) => a.join(''));
    const vfield = fc.array(fc.constantFrom('a', 'b', '1'), { maxLength: 4 }).map((a) => a.join(''));
    fc.assert(
      fc.property(fc.array(field, { minLength: 4, maxLength: 4 }), fc.array(vfield, { minLength: 4, maxLength: 4 }), field, vfield, (pf, vf, pr, vr) => {
        const pattern = `arn:${pf.join(':')}:${pr}`;
        const value = `arn:${vf.join(':')}:${vr}`;
        const expected = pf.every((p, i) => reference(p, vf[i] as string, false)) && reference(pr, vr, false);
        expect(arn(pattern, value)).toBe(expected);
      }),
      { numRuns: 2000, seed: 3 },
    );
  });

  it('unicode look-alikes do not match ASCII', () => {
    expect(arn('arn:aws:s3:::bucket/*', 'arn:aws:s3:::bucкet/x')).toBe(false);
    expect(arn('arn:aws:s3:::b?cket', 'arn:aws:s3:::b\u{1F600}cket')).toBe(true);
  });
});

describe('intersectGlobs: a string both patterns match, or proof none exists', () => {
  it('finds the overlap of two different patterns', () => {
    expect(intersectGlobs('dev-*', '*-eu-*', 'tw')).toBe('dev-eu-tw');
    expect(intersectGlobs('-*', '*dev-*-', 'tw')).toBe('-twdev-tw-');
    expect(intersectGlobs('arn:aws:s3:::x-*', 'arn:aws:s3:::*-prod')).toBe('arn:aws:s3:::x-prod');
    const v = intersectGlobs('a*', '*b', 'twfresh1') as string;
    expect(matchWildcard('a*', v) && matchWildcard('*b', v)).toBe(true);
    expect(intersectGlobs('a*', 'b*')).toBeUndefined();
    expect(intersectGlobs('a?c', 'abd')).toBeUndefined();
  });
  it('property: the result matches both; "none" agrees with an exhaustive search over short strings', () => {
    const alphabet = ['a', 'b', '-'];
    const pattern = fc.array(fc.constantFrom('a', 'b', '-', '*', '?'), { minLength: 1, maxLength: 5 }).map((xs) => xs.join(''));
    // Every string up to length 7 over the alphabet plus one other character (what wildcards can also take).
    const all: string[] = [''];
    for (let n = 0; n < all.length && all.length < 50_000; n++) {
      const s = all[n] as string;
      if (s.length < 7) for (const c of [...alphabet, 'z']) all.push(s + c);
    }
    fc.assert(
      fc.property(pattern, pattern, (a, b) => {
        const v = intersectGlobs(a, b, 'z');
        if (v !== undefined) {
          expect(reference(a, v, false) && reference(b, v, false), `${a} ∩ ${b} = ${v}`).toBe(true);
        } else {
          // A claimed "none" must survive an exhaustive search of every string up to length 7 (a
          // common string, if any, is at most |a|+|b| <= 10 long, so longer-only overlaps are not checked here).
          expect(all.some((s) => reference(a, s, false) && reference(b, s, false)), `${a} ∩ ${b} claimed empty`).toBe(false);
        }
      }),
      { numRuns: 300, seed: 20261202 },
    );
  });
});

/** The first patternRegions (before interning position sets): the reference the faster walk must equal, order included. */
function referenceRegions(patterns: readonly string[], other: string, perVector = 2, maxStates = 4000): { values: string[]; complete: boolean } {
  const compiled = patterns.map(compileGlob);
  const closure = (items: readonly PatternItem[], positions: number[]): number[] => {
    const out = new Set(positions);
    for (const p of positions) for (let q = p; items[q] === STAR; q++) out.add(q + 1);
    return [...out].sort((x, y) => x - y);
  };
  const step = (items: readonly PatternItem[], positions: number[], c: string): number[] => {
    const next = new Set<number>();
    for (const p of positions) {
      const item = items[p];
      if (item === STAR) next.add(p);
      else if (item === QMARK || item === c) next.add(p + 1);
    }
    return closure(items, [...next]);
  };
  const alphabet = [...new Set([...patterns.join('').replace(/[*?]/g, ''), other])];
  const start = compiled.map((items) => closure(items, [0]));
  const keyOf = (state: number[][]): string => state.map((s) => s.join(',')).join('|');
  const seen = new Set<string>([keyOf(start)]);
  const queue: Array<{ state: number[][]; text: string }> = [{ state: start, text: '' }];
  const byVector = new Map<string, string[]>();
  for (let head = 0; head < queue.length; head++) {
    const { state, text } = queue[head] as { state: number[][]; text: string };
    const vector = state.map((s, i) => (s.includes((compiled[i] as PatternItem[]).length) ? '1' : '0')).join('');
    const list = byVector.get(vector) ?? [];
    if (list.length < perVector) {
      list.push(text);
      byVector.set(vector, list);
    }
    for (const c of alphabet) {
      const next = state.map((s, i) => step(compiled[i] as PatternItem[], s, c));
      const k = keyOf(next);
      if (seen.has(k)) continue;
      if (seen.size >= maxStates) return { values: [...byVector.values()].flat(), complete: false };
      seen.add(k);
      queue.push({ state: next, text: text + c });
    }
  }
  return { values: [...byVector.values()].flat(), complete: true };
}

describe('patternRegions: one value per match/no-match combination of a few patterns', () => {
  it('equals the reference walk (values in the same order, same completeness), memoised or not', () => {
    const pattern = fc.array(fc.constantFrom('a', 'b', '-', '*', '?'), { minLength: 0, maxLength: 7 }).map((cs) => cs.join(''));
    fc.assert(
      fc.property(fc.array(pattern, { minLength: 1, maxLength: 4 }), fc.integer({ min: 20, max: 400 }), (patterns, maxStates) => {
        const want = referenceRegions(patterns, 'q', 2, maxStates);
        clearPatternMemos();
        expect(patternRegions(patterns, 'q', 2, maxStates)).toEqual(want);
        expect(patternRegions(patterns, 'q', 2, maxStates)).toEqual(want); // from the memo
      }),
      { numRuns: 300 },
    );
  });

  it('finds the region only the overlap of two patterns reaches, on a real ARN pair', () => {
    const { values, complete } = patternRegions(['arn:aws:s3:::dev-*', 'arn:aws:s3:::*-eu'], 'q');
    expect(complete).toBe(true);
    expect(values.some((v) => matchWildcard('arn:aws:s3:::dev-*', v) && matchWildcard('arn:aws:s3:::*-eu', v))).toBe(true);
    expect(values.some((v) => !matchWildcard('arn:aws:s3:::dev-*', v) && !matchWildcard('arn:aws:s3:::*-eu', v))).toBe(true);
  });

  it('hands out a copy: changing an answer does not change the next one', () => {
    const first = patternRegions(['x-*', '*-y'], 'q');
    const kept = [...first.values];
    first.values.length = 0;
    expect(patternRegions(['x-*', '*-y'], 'q').values).toEqual(kept);
  });
});
