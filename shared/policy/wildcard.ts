/**
 * IAM wildcard matching: `*` matches any run of characters (including none), `?` exactly one.
 * Patterns are compiled to a flat list of items so that literal `*`/`?` produced by the policy
 * variables `${*}` and `${?}` stay literal. Matching is the classic linear-backtrack algorithm:
 * O(pattern x value) worst case, never exponential, so hostile patterns cannot hang the engine.
 */

import { boundedMap, remember } from '../memo.ts';

/** Multi-character wildcard item. */
export const STAR = 0;
/** Single-character wildcard item. */
export const QMARK = 1;
/** A compiled pattern: single characters (strings of length 1) and wildcard markers. */
export type PatternItem = string | typeof STAR | typeof QMARK;

/** Compiles a literal pattern string in which every `*` and `?` is a wildcard. */
export function compileGlob(pattern: string): PatternItem[] {
  const items: PatternItem[] = [];
  for (const ch of pattern) {
    if (ch === '*') {
      if (items[items.length - 1] !== STAR) items.push(STAR);
    } else if (ch === '?') items.push(QMARK);
    else items.push(ch);
  }
  return items;
}

/** Adds literal text (no wildcards) to a compiled pattern. */
export function pushLiteral(items: PatternItem[], text: string): void {
  for (const ch of text) items.push(ch);
}

/** Code-array markers: a compiled pattern is an Int32Array of code points and these (negative) markers. */
export const STAR_CODE = -1;
export const QMARK_CODE = -2;
/** A pattern character whose lower-case form is several code points: it can never equal one value code point. */
const NEVER_CODE = -3;

/**
 * Lowers a compiled pattern to a code array (one entry per code point, no allocation when matching).
 * With `ignoreCase` each literal character is lower-cased on its own, as the item-by-item comparison
 * always did; the value is then lower-cased as a whole by the caller.
 */
export function toCodes(items: readonly PatternItem[], ignoreCase = false): Int32Array {
  const codes = new Int32Array(items.length);
  let n = 0;
  for (const item of items) {
    if (item === STAR) {
      if (n > 0 && codes[n - 1] === STAR_CODE) continue;
      codes[n++] = STAR_CODE;
    } else if (item === QMARK) codes[n++] = QMARK_CODE;
    else {
      const ch = ignoreCase ? item.toLowerCase() : item;
      const cp = ch.codePointAt(0) as number;
      codes[n++] = ch.length === (cp > 0xffff ? 2 : 1) ? cp : NEVER_CODE;
    }
  }
  return n === codes.length ? codes : codes.slice(0, n);
}

/**
 * Matches a code array against `value.slice(start, end)` without slicing: code point by code point
 * (a `?` consumes one code point, as `Array.from` splits strings), linear backtracking to the last
 * `*` only, so the work is O(pattern x value) at worst and never exponential.
 */
export function matchCodes(codes: Int32Array, value: string, start = 0, end = value.length): boolean {
  const n = codes.length;
  let p = 0;
  let v = start;
  let starP = -1;
  let starV = 0;
  while (v < end) {
    if (p < n) {
      const item = codes[p] as number;
      if (item === STAR_CODE) {
        starP = p++;
        starV = v;
        continue;
      }
      const cp = value.codePointAt(v) as number;
      if (item === QMARK_CODE || item === cp) {
        p++;
        v += cp > 0xffff ? 2 : 1;
        continue;
      }
    }
    if (starP < 0) return false;
    p = starP + 1;
    starV += (value.codePointAt(starV) as number) > 0xffff ? 2 : 1;
    v = starV;
  }
  while (p < n && codes[p] === STAR_CODE) p++;
  return p === n;
}

/**
 * {@link matchCodes} against the lower-cased value without lower-casing it: ASCII letters are
 * folded on the fly. Returns undefined when the value holds a non-ASCII character (whole-string
 * lower-casing can differ from per-character folding there; the caller then lower-cases).
 */
function matchCodesFoldAscii(codes: Int32Array, value: string): boolean | undefined {
  const n = codes.length;
  const end = value.length;
  let p = 0;
  let v = 0;
  let starP = -1;
  let starV = 0;
  while (v < end) {
    let cp = value.charCodeAt(v);
    if (cp > 0x7f) return undefined;
    if (cp >= 0x41 && cp <= 0x5a) cp += 0x20;
    if (p < n) {
      const item = codes[p] as number;
      if (item === STAR_CODE) {
        starP = p++;
        starV = v;
        continue;
      }
      if (item === QMARK_CODE || item === cp) {
        p++;
        v++;
        continue;
      }
    }
    if (starP < 0) {
      // A mismatch before any `*`: still refuse a non-ASCII value so both paths agree exactly.
      for (let i = v; i < end; i++) if (value.charCodeAt(i) > 0x7f) return undefined;
      return false;
    }
    p = starP + 1;
    v = ++starV;
  }
  while (p < n && codes[p] === STAR_CODE) p++;
  return p === n;
}

/** Matches a compiled pattern against the whole value. `ignoreCase` for actions and StringEqualsIgnoreCase-like uses. */
export function matchItems(items: readonly PatternItem[], value: string, ignoreCase = false): boolean {
  return matchCodes(toCodes(items, ignoreCase), ignoreCase ? value.toLowerCase() : value);
}

const COMPILE_CACHE_LIMIT = 50_000;
const compiled = boundedMap<string, Int32Array>(COMPILE_CACHE_LIMIT);
const compiledIgnoreCase = boundedMap<string, Int32Array>(COMPILE_CACHE_LIMIT);

/** The code array of a plain pattern string, cached by pattern (per case mode; bounded). */
export function compileCodes(pattern: string, ignoreCase = false): Int32Array {
  const cache = ignoreCase ? compiledIgnoreCase : compiled;
  let codes = cache.get(pattern);
  if (!codes) {
    codes = toCodes(compileGlob(pattern), ignoreCase);
    remember(cache, pattern, codes);
  }
  return codes;
}

/** True when the plain pattern string contains a wildcard. */
export function hasWildcard(pattern: string): boolean {
  return pattern.includes('*') || pattern.includes('?');
}

/** Convenience: glob-match a plain pattern string against a value. */
export function matchWildcard(pattern: string, value: string, ignoreCase = false): boolean {
  if (pattern === '*') return true;
  if (!hasWildcard(pattern)) {
    return ignoreCase ? pattern.toLowerCase() === value.toLowerCase() : pattern === value;
  }
  const codes = compileCodes(pattern, ignoreCase);
  if (!ignoreCase) return matchCodes(codes, value);
  return matchCodesFoldAscii(codes, value) ?? matchCodes(codes, value.toLowerCase());
}

/** True if the compiled pattern contains no wildcard. */
export function isLiteral(items: readonly PatternItem[]): boolean {
  return items.every((i) => typeof i === 'string');
}

/** The literal text of a wildcard-free compiled pattern. */
export function literalText(items: readonly PatternItem[]): string {
  return items.map((i) => (typeof i === 'string' ? i : i === STAR ? '*' : '?')).join('');
}

/** Matches an action pattern (`service:Action`, wildcards allowed) case-insensitively. */
export function matchAction(pattern: string, action: string): boolean {
  return matchWildcard(pattern, action, true);
}

/**
 * A string that matches both glob patterns, or undefined when no string does (proof by exhaustion:
 * a breadth-first search over the product of the two patterns' positions, at most
 * (|a|+1)·(|b|+1) states). Each time both patterns sit on a `*` the `filler` is read, so the value
 * is not merely the shortest common string (which might equal a constant or match a third pattern).
 * Used by the witness search for values only the overlap of two different patterns reaches.
 */
export function intersectGlobs(a: string, b: string, filler = ''): string | undefined {
  const key = `${filler}\u0000${a}\u0000${b}`;
  if (INTERSECTION_CACHE.has(key)) return INTERSECTION_CACHE.get(key);
  const answer = computeIntersection(a, b, filler);
  remember(INTERSECTION_CACHE, key, answer);
  return answer;
}

const REGION_CACHE_LIMIT = 2000;

/** intersectGlobs is a pure function of its arguments (memoised, bounded). */
const INTERSECTION_CACHE = boundedMap<string, string | undefined>(REGION_CACHE_LIMIT);

/** Position after reading `c` at item `item` (position `pos`), undefined when the item cannot read it. */
function advance(item: PatternItem, pos: number, c: string): number | undefined {
  return item === STAR ? pos : item === QMARK || item === c ? pos + 1 : undefined;
}

function computeIntersection(a: string, b: string, filler: string): string | undefined {
  const A = compileGlob(a);
  const B = compileGlob(b);
  const width = B.length + 1;
  const parent = new Map<number, { from: number; text: string }>([[0, { from: -1, text: '' }]]);
  const queue: number[] = [0];
  const visit = (from: number, i: number, j: number, text: string): void => {
    const k = i * width + j;
    if (parent.has(k)) return;
    parent.set(k, { from, text });
    queue.push(k);
  };
  for (let head = 0; head < queue.length; head++) {
    const here = queue[head] as number;
    const i = Math.floor(here / width);
    const j = here % width;
    if (i === A.length && j === B.length) {
      // Walk back to the start; read the filler each time the path enters a state where both patterns
      // sit on a `*` (the filler is in no policy text, so it keeps the value away from other patterns).
      const path: Array<{ state: number; text: string }> = [];
      for (let k = here; k !== 0; ) {
        const p = parent.get(k) as { from: number; text: string };
        path.push({ state: k, text: p.text });
        k = p.from;
      }
      path.push({ state: 0, text: '' });
      path.reverse();
      let previous = false;
      return path
        .map(({ state, text }) => {
          const both = A[Math.floor(state / width)] === STAR && B[state % width] === STAR;
          const entering = both && !previous;
          previous = both;
          return entering ? text + filler : text;
        })
        .join('');
    }
    const a0 = A[i];
    const b0 = B[j];
    // Skipping a `*` reads nothing.
    if (a0 === STAR) visit(here, i + 1, j, '');
    if (b0 === STAR) visit(here, i, j + 1, '');
    if (a0 === undefined || b0 === undefined) continue;
    // One character read by both: a literal of either pattern, or (both on `?`/`*`) any one character.
    const chars = new Set<string>();
    if (typeof a0 === 'string') chars.add(a0);
    if (typeof b0 === 'string') chars.add(b0);
    if (chars.size === 0) chars.add(filler[0] ?? 'q');
    for (const c of chars) {
      const ni = advance(a0, i, c);
      const nj = advance(b0, j, c);
      if (ni !== undefined && nj !== undefined && (ni !== i || nj !== j)) visit(here, ni, nj, c);
    }
  }
  return undefined;
}

/**
 * One string for every combination of "matches / does not match" over a set of glob patterns that
 * some string has (up to `perVector` strings each), found by a breadth-first walk of all patterns at
 * once (each pattern tracked as its set of positions). Any character that appears in no pattern acts
 * the same in every pattern, so the alphabet is the patterns' literal characters plus one such
 * character (`other`): the walk is exhaustive, so a combination that is not returned has no string.
 * `maxStates` bounds the walk (patterns from real policies stay far below it); `complete` says
 * whether the walk finished.
 */
export function patternRegions(patterns: readonly string[], other: string, perVector = 2, maxStates = 4000): { values: string[]; complete: boolean } {
  const key = `${perVector}\u0000${maxStates}\u0000${other}\u0000${patterns.join('\u0000')}`;
  let answer = REGION_CACHE.get(key);
  if (answer === undefined) {
    answer = computeRegions(patterns, other, perVector, maxStates);
    remember(REGION_CACHE, key, answer);
  }
  return { values: [...answer.values], complete: answer.complete };
}

/** Clears the memos of the pure pattern functions (patternRegions, intersectGlobs): lets a benchmark time the work without them. */
export function clearPatternMemos(): void {
  REGION_CACHE.clear();
  INTERSECTION_CACHE.clear();
}

/** patternRegions is a pure function of its arguments; real policies repeat the same pattern sets. */
const REGION_CACHE = boundedMap<string, { values: readonly string[]; complete: boolean }>(REGION_CACHE_LIMIT);

/**
 * One pattern's position sets, interned: each distinct set (after the `*` closure) gets a small id,
 * with whether it accepts and its lazily filled transition per alphabet letter. The walk over all
 * patterns then keys a state by its ids, and each per-pattern step is computed once per (set, letter).
 */
class PositionSets {
  private readonly ids = new Map<string, number>();
  private readonly sets: number[][] = [];
  readonly accepts: boolean[] = [];
  private readonly next: Int32Array[] = [];

  constructor(
    private readonly items: readonly PatternItem[],
    private readonly alphabet: readonly string[],
  ) {}

  /** Id of the closure of `positions` (each `*` may also be skipped). */
  intern(positions: Iterable<number>): number {
    const out = new Set<number>();
    for (const p of positions) {
      out.add(p);
      for (let q = p; this.items[q] === STAR; q++) out.add(q + 1);
    }
    const sorted = [...out].sort((x, y) => x - y);
    const k = sorted.join(',');
    let id = this.ids.get(k);
    if (id === undefined) {
      id = this.sets.length;
      this.ids.set(k, id);
      this.sets.push(sorted);
      this.accepts.push(sorted.includes(this.items.length));
      this.next.push(new Int32Array(this.alphabet.length).fill(-1));
    }
    return id;
  }

  /** Id of the set reached from set `id` by reading alphabet letter `letter`. */
  step(id: number, letter: number): number {
    const row = this.next[id] as Int32Array;
    const known = row[letter] as number;
    if (known >= 0) return known;
    const c = this.alphabet[letter] as string;
    const reached = new Set<number>();
    for (const p of this.sets[id] as number[]) {
      const item = this.items[p];
      if (item === STAR) reached.add(p);
      else if (item === QMARK || item === c) reached.add(p + 1);
    }
    const to = this.intern(reached);
    (this.next[id] as Int32Array)[letter] = to;
    return to;
  }
}

function computeRegions(patterns: readonly string[], other: string, perVector: number, maxStates: number): { values: string[]; complete: boolean } {
  const alphabet = [...new Set([...patterns.join('').replace(/[*?]/g, ''), other])];
  const machines = patterns.map((p) => new PositionSets(compileGlob(p), alphabet));
  const start = machines.map((m) => m.intern([0]));
  const seen = new Set<string>([start.join(',')]);
  const queue: Array<{ state: number[]; text: string }> = [{ state: start, text: '' }];
  const byVector = new Map<string, string[]>();
  const n = machines.length;
  for (let head = 0; head < queue.length; head++) {
    const { state, text } = queue[head] as { state: number[]; text: string };
    let vector = '';
    for (let i = 0; i < n; i++) vector += (machines[i] as PositionSets).accepts[state[i] as number] ? '1' : '0';
    const list = byVector.get(vector) ?? [];
    if (list.length < perVector) {
      list.push(text);
      byVector.set(vector, list);
    }
    for (let letter = 0; letter < alphabet.length; letter++) {
      const next = new Array<number>(n);
      for (let i = 0; i < n; i++) next[i] = (machines[i] as PositionSets).step(state[i] as number, letter);
      const k = next.join(',');
      if (seen.has(k)) continue;
      if (seen.size >= maxStates) return { values: [...byVector.values()].flat(), complete: false };
      seen.add(k);
      queue.push({ state: next, text: text + (alphabet[letter] as string) });
    }
  }
  return { values: [...byVector.values()].flat(), complete: true };
}
