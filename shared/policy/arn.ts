import { compileGlob, matchCodes, matchItems, STAR, STAR_CODE, toCodes } from './wildcard.ts';
import type { PatternItem } from './wildcard.ts';
import { boundedMap, remember } from '../memo.ts';

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
  const known = parsedArns.get(arn);
  if (known !== undefined) return known ?? undefined;
  const parts = readArn(arn);
  remember(parsedArns, arn, parts ? Object.freeze(parts) : null);
  return parts;
}

const ARN_CACHE_LIMIT = 20_000;

/** parseArn by text (validation, candidates and the analyzer ask about the same ARNs many times); answers are frozen, null = not an ARN. */
const parsedArns = boundedMap<string, ArnParts | null>(ARN_CACHE_LIMIT);

function readArn(arn: string): ArnParts | undefined {
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

/** An ARN (or other resource string) split once per request: the end of each of the six fields. */
export interface SplitArn {
  value: string;
  /** False when the value has fewer than six fields (compared as one string). */
  isArn: boolean;
  /** Field i spans [starts[i], ends[i]); only meaningful when `isArn`. */
  starts: Int32Array;
  ends: Int32Array;
}

/** Splits a request's resource into the six ARN fields by offsets (no substrings). */
export function splitArn(value: string): SplitArn {
  const starts = new Int32Array(6);
  const ends = new Int32Array(6);
  let field = 0;
  let at = 0;
  while (field < 5) {
    const colon = value.indexOf(':', at);
    if (colon < 0) break;
    starts[field] = at;
    ends[field] = colon;
    at = colon + 1;
    field++;
  }
  starts[5] = at;
  ends[5] = value.length;
  return { value, isArn: field === 5, starts, ends };
}

/** One field of a compiled ARN pattern: `true` (any), a literal, or a code array. */
type ArnField = true | string | Int32Array;

/**
 * A Resource / Arn* pattern compiled once: a bare `*` matches everything; a literal pattern is
 * string equality (field-by-field equality of two literals is equality); otherwise the six fields
 * are matched separately and a non-ARN value is compared as one string, exactly as
 * {@link matchArnItems} does.
 */
export interface ArnMatcher {
  any: boolean;
  literal?: string;
  whole: Int32Array;
  /** Undefined when the pattern has fewer than six fields (it then never matches an ARN). */
  fields?: ArnField[];
}

export function compileArnMatcher(items: readonly PatternItem[]): ArnMatcher {
  const whole = toCodes(items);
  if (whole.length === 1 && whole[0] === STAR_CODE) return { any: true, whole };
  if (items.every((i) => typeof i === 'string')) return { any: false, literal: (items as string[]).join(''), whole };
  const segments = splitItems(items, 6);
  if (segments.length < 6) return { any: false, whole };
  const fields = segments.map((seg): ArnField => {
    const codes = toCodes(seg);
    if (codes.length === 1 && codes[0] === STAR_CODE) return true;
    if (seg.every((i) => typeof i === 'string')) return (seg as string[]).join('');
    return codes;
  });
  return { any: false, whole, fields };
}

const MATCHER_CACHE_LIMIT = 20_000;
const matchers = boundedMap<string, ArnMatcher>(MATCHER_CACHE_LIMIT);

/**
 * `compileArnMatcher(compileGlob(pattern))`, memoised by the pattern text (bounded): the same
 * Resource and Arn* patterns recur across statements and policies, and a matcher is only read.
 */
export function arnMatcherOf(pattern: string): ArnMatcher {
  let known = matchers.get(pattern);
  if (!known) {
    known = compileArnMatcher(compileGlob(pattern));
    remember(matchers, pattern, known);
  }
  return known;
}

/** Matches a compiled ARN pattern against a split value without allocating. */
export function matchArn(m: ArnMatcher, v: SplitArn): boolean {
  if (m.any) return true;
  if (m.literal !== undefined) return m.literal === v.value;
  if (!v.isArn) return matchCodes(m.whole, v.value);
  const fields = m.fields;
  if (!fields) return false;
  for (let i = 0; i < 6; i++) {
    const f = fields[i] as ArnField;
    if (f === true) continue;
    const start = v.starts[i] as number;
    const end = v.ends[i] as number;
    if (typeof f === 'string') {
      if (end - start !== f.length || !v.value.startsWith(f, start)) return false;
    } else if (!matchCodes(f, v.value, start, end)) return false;
  }
  return true;
}
