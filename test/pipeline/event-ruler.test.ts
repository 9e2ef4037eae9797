import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PatternError, matchesPattern } from '../../shared/pipeline/event-pattern.ts';
import { EXTERNAL_DIR, hasExternal } from '../helpers/events.ts';

// Our matcher against AWS's own: ../shared/external/event-ruler/verdicts.jsonl holds the verdicts of
// aws/event-ruler 2.0.1 (the library behind EventBridge matching) for pattern/event pairs: the
// generated detection rules × the sample events, one probe per operator edge case, and seeded random
// pairs. Every pair must agree, "reject" included (our matcher throws PatternError where Event Ruler
// refuses the pattern).

type Verdict = boolean | 'reject';
interface Pair {
  group: string;
  label: string;
  pattern: unknown;
  event: unknown;
  eventRuler: Verdict;
}

/** The documented sizes of each group: a truncated or regenerated file is noticed, not silently smaller. */
const GROUP_SIZES: Record<string, number> = { rules: 2016, probes: 94, random: 3000 };

function ours(pair: Pair): Verdict | string {
  try {
    return matchesPattern(pair.pattern, pair.event);
  } catch (error) {
    if (error instanceof PatternError) return 'reject';
    return `crashed: ${(error as Error).message}`;
  }
}

const absent = hasExternal('event-ruler') ? '' : ` (skipped: ${join(EXTERNAL_DIR, 'event-ruler')} is absent)`;

describe.skipIf(!hasExternal('event-ruler'))(`event-pattern.ts agrees with AWS Event Ruler${absent}`, () => {
  const pairs: Pair[] = hasExternal('event-ruler')
    ? readFileSync(join(EXTERNAL_DIR, 'event-ruler', 'verdicts.jsonl'), 'utf8')
        .split('\n')
        .filter((line) => line.trim() !== '')
        .map((line) => JSON.parse(line) as Pair)
    : [];

  it('reads every pair of every group', () => {
    const sizes: Record<string, number> = {};
    for (const p of pairs) sizes[p.group] = (sizes[p.group] ?? 0) + 1;
    expect(sizes).toEqual(GROUP_SIZES);
    expect(pairs.filter((p) => p.eventRuler !== true && p.eventRuler !== false && p.eventRuler !== 'reject')).toEqual([]);
  });

  for (const group of Object.keys(GROUP_SIZES)) {
    it(`agrees on every "${group}" pair`, () => {
      const inGroup = pairs.filter((p) => p.group === group);
      const disagreements = inGroup
        .map((p) => ({ label: p.label, pattern: p.pattern, eventRuler: p.eventRuler, ours: ours(p) }))
        .filter((d) => d.ours !== d.eventRuler)
        .map((d) => ({ ...d, pattern: JSON.stringify(d.pattern) }));
      expect(disagreements).toEqual([]);
      // Both verdicts occur, so agreement is not a matcher that always says the same thing.
      expect(new Set(inGroup.map((p) => p.eventRuler)).size).toBeGreaterThan(1);
    });
  }
});
