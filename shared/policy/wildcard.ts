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

/** Matches a compiled pattern against the whole value. `ignoreCase` for actions and StringEqualsIgnoreCase-like uses. */
export function matchItems(items: readonly PatternItem[], value: string, ignoreCase = false): boolean {
  const chars = Array.from(ignoreCase ? value.toLowerCase() : value);
  let p = 0;
  let v = 0;
  let starP = -1;
  let starV = 0;
  while (v < chars.length) {
    const item = items[p];
    if (p < items.length && item !== STAR && (item === QMARK || (ignoreCase ? (item as string).toLowerCase() : item) === chars[v])) {
      p++;
      v++;
    } else if (p < items.length && item === STAR) {
      starP = p++;
      starV = v;
    } else if (starP >= 0) {
      p = starP + 1;
      v = ++starV;
    } else return false;
  }
  while (p < items.length && items[p] === STAR) p++;
  return p === items.length;
}

const compiled = new Map<string, PatternItem[]>();
const COMPILE_CACHE_LIMIT = 50_000;

function compileCached(pattern: string): PatternItem[] {
  let items = compiled.get(pattern);
  if (!items) {
    items = compileGlob(pattern);
    if (compiled.size >= COMPILE_CACHE_LIMIT) compiled.clear();
    compiled.set(pattern, items);
  }
  return items;
}

/** Convenience: glob-match a plain pattern string against a value. */
export function matchWildcard(pattern: string, value: string, ignoreCase = false): boolean {
  if (pattern === '*') return true;
  if (!pattern.includes('*') && !pattern.includes('?')) {
    return ignoreCase ? pattern.toLowerCase() === value.toLowerCase() : pattern === value;
  }
  return matchItems(compileCached(pattern), value, ignoreCase);
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
