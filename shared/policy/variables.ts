import { compileGlob, pushLiteral, STAR, QMARK } from './wildcard.ts';
import type { PatternItem } from './wildcard.ts';

/** Looks a context key up (case-insensitively); returns the values or undefined when absent. */
export type ContextLookup = (key: string) => string[] | undefined;

const VARIABLE = /\$\{([^}]*)\}/g;

/** True when the text contains a `${...}` policy variable. */
export function hasPolicyVariable(text: string): boolean {
  return /\$\{[^}]*\}/.test(text);
}

/**
 * Replaces policy variables in a policy value and compiles it to a wildcard pattern.
 * `${*}`, `${?}` and `${$}` become the literal characters; `${key}` the key's single value from the
 * request context, `${key, 'default'}` its default when absent. Variable values are literal (a `*`
 * inside a tag value is not a wildcard). Returns `undefined` when a variable cannot be resolved (the
 * element then does not match, as in AWS). With `substitute` false (Version 2008-10-17) the text is
 * taken literally, `${...}` included.
 */
export function compileWithVariables(text: string, lookup: ContextLookup, substitute: boolean): PatternItem[] | undefined {
  if (!substitute || !text.includes('${')) return compileGlob(text);
  const items: PatternItem[] = [];
  let last = 0;
  for (const match of text.matchAll(VARIABLE)) {
    const at = match.index ?? 0;
    pushGlob(items, text.slice(last, at));
    last = at + match[0].length;
    const inner = (match[1] ?? '').trim();
    if (inner === '*' || inner === '?' || inner === '$') {
      pushLiteral(items, inner);
      continue;
    }
    const withDefault = /^([^,]+?)\s*,\s*'([^']*)'$/.exec(inner);
    const key = withDefault ? (withDefault[1] as string).trim() : inner;
    const values = lookup(key);
    if (values && values.length === 1) pushLiteral(items, values[0] as string);
    else if ((!values || values.length === 0) && withDefault) pushLiteral(items, withDefault[2] as string);
    else return undefined;
  }
  pushGlob(items, text.slice(last));
  return items;
}

/**
 * Appends the glob's items, a `*` only when the last item is not already STAR: runs of STAR are
 * normalised as they are made (matching stays linear), with no array per piece and no filtering pass.
 * A literal `*` from a variable's value is the string "*", not STAR, and is never merged.
 */
function pushGlob(items: PatternItem[], glob: string): void {
  for (const ch of glob) {
    if (ch === '*') {
      if (items[items.length - 1] !== STAR) items.push(STAR);
    } else if (ch === '?') items.push(QMARK);
    else items.push(ch);
  }
}

/** Same as {@link compileWithVariables} but returns the substituted text with wildcards treated literally (for exact comparisons). */
export function substituteText(text: string, lookup: ContextLookup, substitute: boolean): string | undefined {
  const items = compileWithVariables(text, lookup, substitute);
  if (!items) return undefined;
  return items.map((i) => (i === STAR ? '*' : i === QMARK ? '?' : i)).join('');
}
