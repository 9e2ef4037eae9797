import { matchItems, STAR } from './wildcard.ts';
import type { PatternItem } from './wildcard.ts';

/** The six colon-separated parts of an ARN. */
export interface ArnParts {
  partition: string;
  service: string;
  region: string;
  account: string;
  resource: string;
}

/** Splits `arn:partition:service:region:account:resource` (resource may contain colons); undefined if not an ARN. */
export function parseArn(arn: string): ArnParts | undefined {
  const parts = arn.split(':');
  if (parts.length < 6 || parts[0] !== 'arn') return undefined;
  return {
    partition: parts[1] as string,
    service: parts[2] as string,
    region: parts[3] as string,
    account: parts[4] as string,
    resource: parts.slice(5).join(':'),
  };
}

/** Splits a compiled pattern into at most `count` segments at literal colons (the last keeps the rest). */
function splitItems(items: readonly PatternItem[], count: number): PatternItem[][] {
  const segments: PatternItem[][] = [[]];
  for (const item of items) {
    if (item === ':' && segments.length < count) segments.push([]);
    else (segments[segments.length - 1] as PatternItem[]).push(item);
  }
  return segments;
}

function splitValue(value: string, count: number): string[] {
  const parts = value.split(':');
  if (parts.length <= count) return parts;
  return [...parts.slice(0, count - 1), parts.slice(count - 1).join(':')];
}

/**
 * Matches an ARN pattern against an ARN the way IAM does for Resource and the Arn* operators:
 * each of the six colon-delimited fields is matched separately (a wildcard never crosses a colon
 * in the first five fields), case-sensitively. A bare `*` matches everything; a pattern with fewer
 * than six fields never matches an ARN; a value that is not an ARN is compared as one string.
 */
export function matchArnItems(items: readonly PatternItem[], value: string): boolean {
  if (items.length === 1 && items[0] === STAR) return true;
  const patternSegments = splitItems(items, 6);
  const valueSegments = splitValue(value, 6);
  if (valueSegments.length < 6) {
    // The request names something that is not an ARN: a plain wildcard comparison of the whole strings.
    return matchItems(items, value, false);
  }
  // A pattern with fewer than six fields is not a valid ARN pattern and never matches an ARN.
  if (patternSegments.length < 6) return false;
  for (let i = 0; i < 6; i++) {
    if (!matchItems(patternSegments[i] as PatternItem[], valueSegments[i] as string, false)) return false;
  }
  return true;
}
