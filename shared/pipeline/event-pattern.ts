/**
 * An EventBridge event-pattern matcher, written from the documented semantics and checked against
 * AWS's own matcher (no maintained npm library does this): `test/pipeline/event-ruler.test.ts`
 * compares it with the verdicts of AWS's open-source Event Ruler (the library behind EventBridge)
 * on 5,110 pattern/event pairs. Used by tests and the CLI to prove that the generated rules deliver
 * each detection's events — and nothing unrelated — without an AWS account.
 *
 * Supported: exact values (string, number, boolean, null), arrays ("any of"), nested objects,
 * `prefix`, `suffix` (each also with `equals-ignore-case`), `anything-but` (value, list, prefix,
 * suffix, equals-ignore-case, wildcard), `numeric`, `exists`, `equals-ignore-case`, `wildcard`,
 * `cidr` (IPv4 and IPv6) and `$or`.
 *
 * How it matches, as Event Ruler does:
 * - The event is flattened into leaves: every string, number, boolean or null, keyed by its
 *   dotted path (`detail.userIdentity.type`). Arrays are transparent: each element is a leaf (or
 *   the parent of leaves) at the array's own path. Objects and empty arrays are not leaves.
 * - The pattern is flattened the same way into fields (`$or` gives several alternatives). A field
 *   matches when some leaf at its path satisfies one of its matchers; `exists: false` matches when
 *   no leaf exists at the path (so it matches `[]`, an object value, or a missing or scalar parent).
 * - Array consistency: the leaves chosen for the fields of one alternative must come from the same
 *   element of every array they share, so `{r: {type: ["a"], id: ["2"]}}` does not match
 *   `r: [{type: "a", id: "1"}, {type: "b", id: "2"}]`.
 * The whole pattern is validated before matching, so an invalid pattern throws even when an early
 * field would already decide the verdict (EventBridge rejects it at PutRule).
 */

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A pattern EventBridge would reject (PutRule fails with InvalidEventPatternException). */
export class PatternError extends Error {
  override name = 'PatternError';
}

/** A leaf value of the event and the element index it sits at in each enclosing array. */
interface Leaf {
  value: null | boolean | number | string;
  /** arrayId -> element index, for every array on the way down to this leaf. */
  arrays: ReadonlyMap<number, number>;
}

/** One pattern field: a dotted path, a test per leaf value, and whether absence satisfies it. */
interface Field {
  path: string;
  tests: Array<(v: Leaf['value']) => boolean>;
  absentMatches: boolean;
}

/** A pattern compiles to alternatives (one per `$or` branch combination); any one must match. */
type Alternative = Field[];

const compiled = new WeakMap<object, Alternative[]>();

/** True when the event matches the pattern. Throws PatternError on a pattern EventBridge would reject. */
export function matchesPattern(pattern: unknown, event: unknown): boolean {
  const alternatives = compilePattern(pattern);
  const leaves = flattenEvent(event);
  return alternatives.some((alt) => matchAlternative(alt, leaves));
}

/** Validates a pattern and flattens it into alternatives (cached per pattern object). */
export function compilePattern(pattern: unknown): Alternative[] {
  if (!isPlainObject(pattern)) throw new PatternError('a pattern must be a JSON object');
  const cached = compiled.get(pattern);
  if (cached) return cached;
  const alternatives = compileObject(pattern, '');
  compiled.set(pattern, alternatives);
  return alternatives;
}

function compileObject(pattern: Record<string, unknown>, prefix: string): Alternative[] {
  let alternatives: Alternative[] = [[]];
  for (const [key, sub] of Object.entries(pattern)) {
    let options: Alternative[];
    if (key === '$or') {
      if (!Array.isArray(sub) || sub.length < 2) throw new PatternError('$or needs an array of at least two patterns');
      options = sub.flatMap((alt) => {
        if (!isPlainObject(alt)) throw new PatternError('each $or branch must be a pattern object');
        return compileObject(alt, prefix);
      });
    } else {
      const path = prefix ? `${prefix}.${key}` : key;
      if (Array.isArray(sub)) options = [[compileField(path, sub)]];
      else if (isPlainObject(sub)) options = compileObject(sub, path);
      else throw new PatternError(`pattern value for "${key}" must be an array or an object`);
    }
    alternatives = alternatives.flatMap((a) => options.map((o) => [...a, ...o]));
  }
  return alternatives;
}

function compileField(path: string, matchers: unknown[]): Field {
  if (matchers.length === 0) throw new PatternError('an empty array matches nothing and is rejected by EventBridge');
  const tests: Field['tests'] = [];
  let absentMatches = false;
  for (const m of matchers) {
    const test = compileMatcher(m);
    if (test === 'absent') absentMatches = true;
    else tests.push(test);
  }
  return { path, tests, absentMatches };
}

/** A leaf test, or 'absent' for `exists: false`. */
function compileMatcher(matcher: unknown): ((v: Leaf['value']) => boolean) | 'absent' {
  if (!isPlainObject(matcher)) {
    if (Array.isArray(matcher)) throw new PatternError('a matcher cannot be an array');
    return (v) => equalsExact(matcher, v);
  }
  const keys = Object.keys(matcher);
  if (keys.length !== 1) throw new PatternError(`a content filter has exactly one operator, got ${JSON.stringify(keys)}`);
  const op = keys[0] as string;
  const arg = matcher[op];
  switch (op) {
    case 'exists':
      if (typeof arg !== 'boolean') throw new PatternError('exists takes true or false');
      return arg ? () => true : 'absent';
    case 'prefix':
    case 'suffix': {
      const test = stringTest(arg, op);
      return (v) => typeof v === 'string' && test(v);
    }
    case 'equals-ignore-case': {
      if (typeof arg !== 'string') throw new PatternError('equals-ignore-case takes a string');
      const lower = arg.toLowerCase();
      return (v) => typeof v === 'string' && v.toLowerCase() === lower;
    }
    case 'wildcard': {
      if (typeof arg !== 'string') throw new PatternError('wildcard takes a string');
      const re = wildcardRegex(arg);
      return (v) => typeof v === 'string' && re.test(v);
    }
    case 'numeric': {
      const test = numericTest(arg);
      return (v) => typeof v === 'number' && test(v);
    }
    case 'cidr': {
      if (typeof arg !== 'string') throw new PatternError('cidr takes a string');
      inCidr('0.0.0.0', arg); // validates the range now, not at the first string value
      return (v) => typeof v === 'string' && inCidr(v, arg);
    }
    case 'anything-but':
      return anythingBut(arg);
    default:
      throw new PatternError(`unsupported operator "${op}"`);
  }
}

/** Every leaf of the event by dotted path, with its array memberships. */
function flattenEvent(event: unknown): Map<string, Leaf[]> {
  const leaves = new Map<string, Leaf[]>();
  let nextArrayId = 0;
  const walk = (value: unknown, path: string, arrays: ReadonlyMap<number, number>): void => {
    if (Array.isArray(value)) {
      const id = nextArrayId++;
      value.forEach((element, index) => walk(element, path, new Map(arrays).set(id, index)));
    } else if (isPlainObject(value)) {
      for (const [key, child] of Object.entries(value)) walk(child, path ? `${path}.${key}` : key, arrays);
    } else if (value === null || typeof value === 'boolean' || typeof value === 'number' || typeof value === 'string') {
      if (!path) return; // a scalar event has no fields
      const list = leaves.get(path) ?? [];
      list.push({ value, arrays });
      leaves.set(path, list);
    }
  };
  walk(event, '', new Map());
  return leaves;
}

/** True when two leaves agree on the element of every array they both sit in. */
function consistent(a: ReadonlyMap<number, number>, b: ReadonlyMap<number, number>): boolean {
  for (const [id, index] of a) {
    const other = b.get(id);
    if (other !== undefined && other !== index) return false;
  }
  return true;
}

/** Finds one leaf per field (absence where allowed) with array-consistent memberships. */
function matchAlternative(fields: Alternative, leaves: Map<string, Leaf[]>): boolean {
  const candidates: Leaf[][] = [];
  for (const f of fields) {
    const atPath = leaves.get(f.path) ?? [];
    if (atPath.length === 0 && f.absentMatches) continue;
    const matching = atPath.filter((leaf) => f.tests.some((t) => t(leaf.value)));
    if (matching.length === 0) return false;
    candidates.push(matching);
  }
  candidates.sort((a, b) => a.length - b.length);
  const chosen: Leaf[] = [];
  const search = (i: number): boolean => {
    if (i === candidates.length) return true;
    for (const leaf of candidates[i] as Leaf[]) {
      if (!chosen.every((c) => consistent(c.arrays, leaf.arrays))) continue;
      chosen.push(leaf);
      if (search(i + 1)) return true;
      chosen.pop();
    }
    return false;
  };
  return search(0);
}

/** Exact match: same JSON type and value (`"5"` is not `5`, `true` is not `1`). */
function equalsExact(expected: unknown, actual: unknown): boolean {
  return expected === actual;
}

function stringTest(arg: unknown, kind: 'prefix' | 'suffix'): (v: string) => boolean {
  let needle: string;
  let ignoreCase = false;
  if (typeof arg === 'string') needle = arg;
  else if (isPlainObject(arg) && typeof arg['equals-ignore-case'] === 'string') {
    needle = arg['equals-ignore-case'];
    ignoreCase = true;
  } else throw new PatternError(`${kind} takes a string or {"equals-ignore-case": string}`);
  const n = ignoreCase ? needle.toLowerCase() : needle;
  return (v) => {
    const s = ignoreCase ? v.toLowerCase() : v;
    return kind === 'prefix' ? s.startsWith(n) : s.endsWith(n);
  };
}

function wildcardRegex(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string;
    if (c === '\\' && (pattern[i + 1] === '*' || pattern[i + 1] === '\\')) {
      re += `\\${pattern[i + 1]}`;
      i++;
    } else if (c === '*') re += '.*';
    else re += c.replace(/[.+?^${}()|[\]\\/-]/g, '\\$&');
  }
  return new RegExp(`^${re}$`, 's');
}

const NUMERIC_OPS: Record<string, (a: number, b: number) => boolean> = {
  '=': (a, b) => a === b,
  '<': (a, b) => a < b,
  '<=': (a, b) => a <= b,
  '>': (a, b) => a > b,
  '>=': (a, b) => a >= b,
};

function numericTest(arg: unknown): (v: number) => boolean {
  if (!Array.isArray(arg) || arg.length === 0 || arg.length % 2 !== 0) throw new PatternError('numeric takes [op, number, ...] pairs');
  const tests: Array<(v: number) => boolean> = [];
  for (let i = 0; i < arg.length; i += 2) {
    const op = NUMERIC_OPS[String(arg[i])];
    const n = arg[i + 1];
    if (!op || typeof n !== 'number') throw new PatternError(`bad numeric condition ${JSON.stringify(arg.slice(i, i + 2))}`);
    tests.push((v) => op(v, n));
  }
  return (v) => tests.every((t) => t(v));
}

/** `anything-but`: a leaf matches when it is none of the excluded values (or does not fit the excluded shape). */
function anythingBut(arg: unknown): (v: Leaf['value']) => boolean {
  if (Array.isArray(arg)) {
    for (const a of arg) if (isPlainObject(a) || Array.isArray(a)) throw new PatternError('anything-but lists hold only values');
    return (v) => !arg.some((a) => equalsExact(a, v));
  }
  if (isPlainObject(arg)) {
    const [op, inner] = Object.entries(arg)[0] ?? [];
    if (Object.keys(arg).length !== 1) throw new PatternError('anything-but takes one operator');
    let excluded: (v: string) => boolean;
    if (op === 'prefix' || op === 'suffix') excluded = stringTest(inner, op);
    else if (op === 'equals-ignore-case' || op === 'wildcard') {
      const list = Array.isArray(inner) ? inner : [inner];
      if (list.length === 0 || !list.every((x) => typeof x === 'string')) throw new PatternError(`anything-but ${op} takes a string or a list of strings`);
      const strings = list as string[];
      if (op === 'equals-ignore-case') {
        const lower = new Set(strings.map((x) => x.toLowerCase()));
        excluded = (v) => lower.has(v.toLowerCase());
      } else {
        const res = strings.map(wildcardRegex);
        excluded = (v) => res.some((re) => re.test(v));
      }
    } else throw new PatternError(`unsupported anything-but operator "${String(op)}"`);
    return (v) => typeof v !== 'string' || !excluded(v);
  }
  return (v) => !equalsExact(arg, v);
}

function ipv4ToBigInt(ip: string): bigint | undefined {
  const parts = ip.split('.');
  if (parts.length !== 4) return undefined;
  let n = 0n;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return undefined;
    n = (n << 8n) | BigInt(Number(p));
  }
  return n;
}

function ipv6ToBigInt(ip: string): bigint | undefined {
  if (!ip.includes(':')) return undefined;
  const [head, tail, ...rest] = ip.split('::');
  if (rest.length > 0) return undefined;
  const h = head ? head.split(':') : [];
  const t = tail !== undefined ? (tail ? tail.split(':') : []) : [];
  const missing = 8 - h.length - t.length;
  if (tail === undefined ? h.length !== 8 : missing < 1) return undefined;
  const groups = [...h, ...Array<string>(tail === undefined ? 0 : missing).fill('0'), ...t];
  let n = 0n;
  for (const g of groups) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
    n = (n << 16n) | BigInt(parseInt(g, 16));
  }
  return n;
}

/** True when `ip` is inside `cidr` (same address family). */
export function inCidr(ip: string, cidr: string): boolean {
  const [base, bitsText] = cidr.split('/');
  if (!base || bitsText === undefined || !/^\d+$/.test(bitsText)) throw new PatternError(`bad cidr "${cidr}"`);
  const bits = Number(bitsText);
  const v4 = ipv4ToBigInt(base);
  const width = v4 !== undefined ? 32 : 128;
  const baseN = v4 ?? ipv6ToBigInt(base);
  if (baseN === undefined || bits > width) throw new PatternError(`bad cidr "${cidr}"`);
  const ipN = width === 32 ? ipv4ToBigInt(ip) : ipv6ToBigInt(ip);
  if (ipN === undefined) return false;
  const shift = BigInt(width - bits);
  return ipN >> shift === baseN >> shift;
}

export type { Json };
