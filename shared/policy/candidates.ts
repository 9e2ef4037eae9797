/**
 * Candidate values for one condition key, taken from the policy itself: every constant the
 * clauses on that key compare with, every pattern instantiated with a fresh filler, the values just
 * beside each numeric/date bound and each CIDR, both booleans, and a fresh value that matches no
 * constant. For the supported operator families these candidates meet every region the clauses can
 * tell apart (see docs/policy-engine.md, "Witnesses"), so trying them all decides "is there any value".
 */
import { parseOperator } from './conditions.ts';
import type { FreshValues } from './fresh.ts';
import { parseCidr } from './ip.ts';
import type { ParsedCidr } from './ip.ts';
import type { ConditionClause } from './types.ts';
import { intersectGlobs, matchWildcard, patternRegions } from './wildcard.ts';

/** At most this many pairwise pattern intersections per key (each adds one candidate value). */
const MAX_INTERSECTIONS = 24;
/** Up to this many patterns on one key, every region they carve out gets a value (patternRegions). */
const MAX_REGION_PATTERNS = 6;
const OTHER_CHARS = ['q', 'z', 'j', 'k', 'x', '0', '7', '~', '_', '#'];

/** Values of one key in a request: `undefined` means the key is absent. */
export type Candidate = string[] | undefined;

const VARIABLE = /\$\{[^}]*\}/g;

/** Replaces every wildcard and policy variable of a pattern by the filler (`?` by one character). */
export function instantiatePattern(pattern: string, filler: string): string {
  return pattern
    .replace(/\$\{\s*\*\s*\}/g, '*')
    .replace(/\$\{\s*\?\s*\}/g, '?')
    .replace(/\$\{\s*\$\s*\}/g, '$')
    .replace(VARIABLE, filler)
    .replace(/\*+/g, filler)
    .replace(/\?/g, 'q');
}

/**
 * Instantiates a Resource/ARN pattern: a wildcard account becomes `account`, a wildcard region
 * `us-east-1`, every other wildcard the filler. Undefined when the pattern is not an ARN.
 */
export function instantiateArn(pattern: string, account: string, filler: string): string | undefined {
  const parts = pattern.split(':');
  if (parts.length < 6 || parts[0] !== 'arn') return undefined;
  const [, partition, service, region, acct] = parts as [string, string, string, string, string];
  const resource = parts.slice(5).join(':');
  return [
    'arn',
    /[*?]/.test(partition) ? 'aws' : partition,
    instantiatePattern(service, filler),
    region === '' ? '' : /^[*?]+$/.test(region) ? 'us-east-1' : instantiatePattern(region, filler),
    acct === '' ? '' : /[*?$]/.test(acct) ? account : acct,
    instantiatePattern(resource, filler),
  ].join(':');
}

const NO_KEYS: readonly string[] = Object.freeze([]);

/** True when the clause's values use policy variables other than the literal escapes. */
export function usesVariables(clause: ConditionClause): boolean {
  return variableKeys(clause).length > 0;
}

/** The (lower-cased) context keys the clause's values refer to through policy variables. */
export function variableKeys(clause: ConditionClause): readonly string[] {
  // Most clauses have no variable at all: no regex, no array (the caller only reads the answer).
  if (!clause.values.some((v) => v.includes('${'))) return NO_KEYS;
  const out: string[] = [];
  for (const v of clause.values) {
    for (const m of v.matchAll(/\$\{([^}]*)\}/g)) {
      const inner = (m[1] ?? '').trim();
      if (inner === '*' || inner === '?' || inner === '$') continue;
      out.push((inner.split(',')[0] as string).trim().toLowerCase());
    }
  }
  return out;
}

function formatIp(value: bigint, family: 4 | 6): string {
  if (family === 4) return [24n, 16n, 8n, 0n].map((s) => String((value >> s) & 255n)).join('.');
  const groups: string[] = [];
  for (let i = 7; i >= 0; i--) groups.push(((value >> BigInt(i * 16)) & 0xffffn).toString(16));
  return groups.join(':');
}

/** The first address of a CIDR, as text. */
export function cidrFirstAddress(cidr: ParsedCidr): string {
  return formatIp(cidr.network, cidr.family);
}

function ipNeighbours(cidr: ParsedCidr): string[] {
  const bits = cidr.family === 6 ? 128 : 32;
  const max = (1n << BigInt(bits)) - 1n;
  const size = 1n << BigInt(bits - cidr.prefix);
  const first = cidr.network;
  const last = cidr.network + size - 1n;
  const out = [first, last];
  if (first > 0n) out.push(first - 1n);
  if (last < max) out.push(last + 1n);
  return out.map((v) => formatIp(v, cidr.family));
}

function parseNumeric(text: string): number | undefined {
  const n = Number(text.trim());
  return text.trim() !== '' && Number.isFinite(n) ? n : undefined;
}

function dateNeighbours(text: string): string[] {
  const trimmed = text.trim();
  const ms = /^-?\d+$/.test(trimmed) ? Number(trimmed) * 1000 : Date.parse(trimmed);
  if (Number.isNaN(ms)) return [];
  return [ms - 1000, ms, ms + 1000].filter((t) => Math.abs(t) < 8.64e15).map((t) => new Date(t).toISOString());
}

/**
 * Single values worth trying for a key, from all the clauses that test it. Wildcard patterns are
 * instantiated with `fresh.token()`; a fresh token is always included (the "some other value").
 */
export function valueCandidates(clauses: readonly ConditionClause[], fresh: FreshValues): string[] {
  const out = new Set<string>();
  const filler = fresh.token();
  const cidrs: ParsedCidr[] = [];
  const globs: string[] = [];
  for (const c of clauses) {
    const op = parseOperator(c.operator);
    if (!op) continue;
    for (const v of c.values) {
      switch (op.base) {
        case 'numericequals':
        case 'numericnotequals':
        case 'numericlessthan':
        case 'numericlessthanequals':
        case 'numericgreaterthan':
        case 'numericgreaterthanequals': {
          const n = parseNumeric(v);
          if (n !== undefined) for (const x of [n - 1, n, n + 1]) out.add(String(x));
          break;
        }
        case 'dateequals':
        case 'datenotequals':
        case 'datelessthan':
        case 'datelessthanequals':
        case 'dategreaterthan':
        case 'dategreaterthanequals':
          for (const d of dateNeighbours(v)) out.add(d);
          break;
        case 'bool':
          out.add('true');
          out.add('false');
          break;
        case 'ipaddress':
        case 'notipaddress': {
          const cidr = parseCidr(v);
          if (cidr) {
            cidrs.push(cidr);
            for (const ip of ipNeighbours(cidr)) out.add(ip);
          }
          break;
        }
        case 'null':
          break;
        default: {
          // String, Arn and Binary families: the constant itself, its other case, and the pattern instantiated.
          const literal = v.replace(/\$\{\s*\*\s*\}/g, '*').replace(/\$\{\s*\?\s*\}/g, '?').replace(/\$\{\s*\$\s*\}/g, '$');
          const hasVariable = /\$\{[^}]*\}/.test(v);
          const wildcardsAreText = /^string(not)?equals|^binary/.test(op.base);
          if (!hasVariable && (wildcardsAreText || !/[*?]/.test(v))) out.add(literal);
          if (/ignorecase/.test(op.base)) out.add(literal.toUpperCase());
          if (/[*?]/.test(v) || hasVariable) out.add(instantiatePattern(v, filler));
          if (!hasVariable && !wildcardsAreText && /[*?]/.test(literal) && !/ignorecase/.test(op.base)) globs.push(literal);
        }
      }
    }
  }
  // Values only the overlap of different patterns reaches (e.g. `dev-*` and `*-eu-*`, or `-*` but not
  // `-*?`): for a few patterns, one value per region they carve out (exhaustive); for more, the
  // pairwise overlaps whose instances miss each other.
  const unique = [...new Set(globs)];
  const constants = clauses.flatMap((c) => c.values).join('');
  const other = OTHER_CHARS.find((ch) => !constants.includes(ch)) ?? 'q';
  const regions = unique.length >= 1 && unique.length <= MAX_REGION_PATTERNS ? patternRegions(unique, other) : { values: [], complete: false };
  for (const v of regions.values) out.add(v);
  if (!regions.complete) {
    let added = 0;
    for (let i = 0; i < unique.length && added < MAX_INTERSECTIONS; i++) {
      for (let j = i + 1; j < unique.length && added < MAX_INTERSECTIONS; j++) {
        const a = unique[i] as string;
        const b = unique[j] as string;
        if (matchWildcard(b, instantiatePattern(a, filler)) || matchWildcard(a, instantiatePattern(b, filler))) continue;
        const both = intersectGlobs(a, b, filler);
        if (both !== undefined) {
          out.add(both);
          added++;
        }
      }
    }
    if (unique.length > 0) out.add('');
  }
  if (cidrs.length > 0) {
    const v4 = fresh.ipv4(cidrs);
    const v6 = fresh.ipv6(cidrs);
    if (v4) out.add(v4);
    if (v6) out.add(v6);
  }
  out.add(filler);
  return [...out];
}

/**
 * Request values worth trying for a key: absent, each single candidate, and for keys tested with
 * `ForAnyValue`/`ForAllValues` also every constant together and each constant with a fresh value.
 */
export function keyCandidates(clauses: readonly ConditionClause[], fresh: FreshValues): Candidate[] {
  const singles = valueCandidates(clauses, fresh);
  // A loop, not a spread of a mapped copy: the builtins' feedback here changed after the analyzer's
  // first pass (a deopt in the second).
  const out: Candidate[] = [undefined];
  for (let i = 0; i < singles.length; i++) out.push([singles[i] as string]);
  const setValued = clauses.some((c) => parseOperator(c.operator)?.set !== undefined);
  if (setValued) {
    const literals = [...new Set(clauses.flatMap((c) => c.values.filter((v) => !/[*?]|\$\{/.test(v))))];
    const filler = fresh.token();
    if (literals.length > 1) out.push(literals);
    for (const l of literals) out.push([l, filler]);
  }
  return out;
}
