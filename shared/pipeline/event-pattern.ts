/**
 * An EventBridge event-pattern matcher, written from the documented semantics (no maintained npm
 * library does this). Used by tests to prove that the generated rules deliver each detection's
 * events — and nothing unrelated — without an AWS account.
 *
 * Supported: exact values (string, number, boolean, null), arrays ("any of"), nested objects,
 * `prefix`, `suffix` (each also with `equals-ignore-case`), `anything-but` (value, list, prefix,
 * suffix, equals-ignore-case, wildcard), `numeric`, `exists`, `equals-ignore-case`, `wildcard`,
 * `cidr` (IPv4 and IPv6) and `$or`. An event array matches when any of its values matches.
 */

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export class PatternError extends Error {
  override name = 'PatternError';
}

/** True when the event matches the pattern. Throws PatternError on a pattern EventBridge would reject. */
export function matchesPattern(pattern: unknown, event: unknown): boolean {
  if (!isPlainObject(pattern)) throw new PatternError('a pattern must be a JSON object');
  return matchObject(pattern, event);
}

function matchObject(pattern: Record<string, unknown>, event: unknown): boolean {
  for (const [key, sub] of Object.entries(pattern)) {
    if (key === '$or') {
      if (!Array.isArray(sub) || sub.length < 2) throw new PatternError('$or needs an array of at least two patterns');
      if (!sub.some((alt) => isPlainObject(alt) && matchObject(alt, event))) return false;
      continue;
    }
    const value = isPlainObject(event) ? event[key] : undefined;
    if (Array.isArray(sub)) {
      if (!matchLeaf(sub, value)) return false;
    } else if (isPlainObject(sub)) {
      if (!isPlainObject(value)) {
        // A nested pattern on a missing field can still match if it only asks for absence.
        if (!onlyAbsence(sub)) return false;
        if (!matchObject(sub, {})) return false;
      } else if (!matchObject(sub, value)) return false;
    } else {
      throw new PatternError(`pattern value for "${key}" must be an array or an object`);
    }
  }
  return true;
}

/** True when every leaf of a nested pattern is `exists: false` (then a missing parent matches). */
function onlyAbsence(pattern: Record<string, unknown>): boolean {
  return Object.entries(pattern).every(([k, v]) => {
    if (k === '$or') return Array.isArray(v) && v.some((alt) => isPlainObject(alt) && onlyAbsence(alt));
    if (Array.isArray(v)) return v.length > 0 && v.every((m) => isPlainObject(m) && m['exists'] === false);
    return isPlainObject(v) && onlyAbsence(v);
  });
}

function matchLeaf(matchers: unknown[], value: unknown): boolean {
  if (matchers.length === 0) throw new PatternError('an empty array matches nothing and is rejected by EventBridge');
  return matchers.some((m) => matchOne(m, value));
}

/** Event values a leaf sees: an array's elements, or the value itself. */
function valuesOf(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [value];
}

function matchOne(matcher: unknown, value: unknown): boolean {
  if (!isPlainObject(matcher)) {
    if (value === undefined) return false;
    return valuesOf(value).some((v) => equalsExact(matcher, v));
  }
  const keys = Object.keys(matcher);
  if (keys.length !== 1) throw new PatternError(`a content filter has exactly one operator, got ${JSON.stringify(keys)}`);
  const op = keys[0] as string;
  const arg = matcher[op];
  if (op === 'exists') {
    if (typeof arg !== 'boolean') throw new PatternError('exists takes true or false');
    // exists only applies to leaves: an object value does not "exist" as a leaf.
    const present = value !== undefined && !isPlainObject(value) && !(Array.isArray(value) && value.length === 0);
    return arg ? present : value === undefined;
  }
  if (value === undefined) return false;
  const values = valuesOf(value);
  switch (op) {
    case 'prefix':
      return values.some((v) => typeof v === 'string' && stringTest(arg, 'prefix')(v));
    case 'suffix':
      return values.some((v) => typeof v === 'string' && stringTest(arg, 'suffix')(v));
    case 'equals-ignore-case':
      if (typeof arg !== 'string') throw new PatternError('equals-ignore-case takes a string');
      return values.some((v) => typeof v === 'string' && v.toLowerCase() === arg.toLowerCase());
    case 'wildcard':
      if (typeof arg !== 'string') throw new PatternError('wildcard takes a string');
      return values.some((v) => typeof v === 'string' && wildcardRegex(arg).test(v));
    case 'numeric':
      return values.some((v) => typeof v === 'number' && numericTest(arg)(v));
    case 'cidr':
      if (typeof arg !== 'string') throw new PatternError('cidr takes a string');
      return values.some((v) => typeof v === 'string' && inCidr(v, arg));
    case 'anything-but':
      return values.some((v) => anythingBut(arg, v));
    default:
      throw new PatternError(`unsupported operator "${op}"`);
  }
}

function equalsExact(expected: unknown, actual: unknown): boolean {
  if (typeof expected === 'number' && typeof actual === 'number') return expected === actual;
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

function anythingBut(arg: unknown, v: unknown): boolean {
  if (Array.isArray(arg)) return !arg.some((a) => equalsExact(a, v));
  if (isPlainObject(arg)) {
    const [op, inner] = Object.entries(arg)[0] ?? [];
    if (typeof v !== 'string') return true;
    if (op === 'prefix') return !stringTest(inner, 'prefix')(v);
    if (op === 'suffix') return !stringTest(inner, 'suffix')(v);
    if (op === 'equals-ignore-case') {
      const list = Array.isArray(inner) ? inner : [inner];
      return !list.some((x) => typeof x === 'string' && x.toLowerCase() === v.toLowerCase());
    }
    if (op === 'wildcard') {
      const list = Array.isArray(inner) ? inner : [inner];
      return !list.some((x) => typeof x === 'string' && wildcardRegex(x).test(v));
    }
    throw new PatternError(`unsupported anything-but operator "${String(op)}"`);
  }
  return !equalsExact(arg, v);
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
