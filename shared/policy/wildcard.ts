/**
 * IAM wildcard matching: `*` matches any run of characters (including none), `?` exactly one.
 * Patterns are compiled to a flat list of items so that literal `*`/`?` produced by the policy
 * variables `${*}` and `${?}` stay literal. Matching is the classic linear-backtrack algorithm:
 * O(pattern x value) worst case, never exponential, so hostile patterns cannot hang the engine.
 */

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

const compiled = new Map<string, Int32Array>();
const compiledIgnoreCase = new Map<string, Int32Array>();
const COMPILE_CACHE_LIMIT = 50_000;

/** The code array of a plain pattern string, cached by pattern (per case mode; bounded). */
export function compileCodes(pattern: string, ignoreCase = false): Int32Array {
  const cache = ignoreCase ? compiledIgnoreCase : compiled;
  let codes = cache.get(pattern);
  if (!codes) {
    codes = toCodes(compileGlob(pattern), ignoreCase);
    if (cache.size >= COMPILE_CACHE_LIMIT) cache.clear();
    cache.set(pattern, codes);
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
