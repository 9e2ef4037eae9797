import { arnMatcherOf, matchArn, matchArnItems, splitArn } from './arn.ts';
import { cidrContains, parseCidr } from './ip.ts';
import type { ConditionClause } from './types.ts';
import { compileWithVariables, substituteText } from './variables.ts';
import type { ContextLookup } from './variables.ts';
import { compileCodes, matchCodes, matchItems } from './wildcard.ts';
import { boundedMap, remember } from '../memo.ts';

/** Operator families with their per-value test. `negated` operators match when no policy value matches. */
interface BaseOperator {
  negated: boolean;
  /** True when one request value matches one policy value (already variable-substituted where allowed). */
  test(policyValue: string, requestValue: string, lookup: ContextLookup, substitute: boolean): boolean;
}

function parseNumber(text: string): number | undefined {
  if (!/^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$/.test(text)) return undefined;
  return Number(text);
}

/** Dates: ISO 8601 or epoch seconds (both forms are accepted by IAM). */
function parseDate(text: string): number | undefined {
  if (/^\s*-?\d+\s*$/.test(text)) return Number(text) * 1000;
  if (!/^\d{4}-\d{2}-\d{2}/.test(text.trim())) return undefined;
  const ms = Date.parse(text.trim());
  return Number.isNaN(ms) ? undefined : ms;
}

const stringEquals = (p: string, r: string, l: ContextLookup, s: boolean): boolean => substituteText(p, l, s) === r;
const stringEqualsIgnoreCase = (p: string, r: string, l: ContextLookup, s: boolean): boolean =>
  substituteText(p, l, s)?.toLowerCase() === r.toLowerCase();
const stringLike = (p: string, r: string, l: ContextLookup, s: boolean): boolean => {
  const items = compileWithVariables(p, l, s);
  return items !== undefined && matchItems(items, r, false);
};
const arnLike = (p: string, r: string, l: ContextLookup, s: boolean): boolean => {
  const items = compileWithVariables(p, l, s);
  return items !== undefined && matchArnItems(items, r);
};
const numeric = (cmp: (a: number, b: number) => boolean) => (p: string, r: string): boolean => {
  const a = parseNumber(r);
  const b = parseNumber(p);
  return a !== undefined && b !== undefined && cmp(a, b);
};
const date = (cmp: (a: number, b: number) => boolean) => (p: string, r: string): boolean => {
  const a = parseDate(r);
  const b = parseDate(p);
  return a !== undefined && b !== undefined && cmp(a, b);
};
const eq = (a: number, b: number): boolean => a === b;

/** Every base operator IAM documents (without IfExists / set prefixes), by lower-cased name. */
const OPERATORS: Record<string, BaseOperator> = {
  stringequals: { negated: false, test: stringEquals },
  stringnotequals: { negated: true, test: stringEquals },
  stringequalsignorecase: { negated: false, test: stringEqualsIgnoreCase },
  stringnotequalsignorecase: { negated: true, test: stringEqualsIgnoreCase },
  stringlike: { negated: false, test: stringLike },
  stringnotlike: { negated: true, test: stringLike },
  numericequals: { negated: false, test: numeric(eq) },
  numericnotequals: { negated: true, test: numeric(eq) },
  numericlessthan: { negated: false, test: numeric((a, b) => a < b) },
  numericlessthanequals: { negated: false, test: numeric((a, b) => a <= b) },
  numericgreaterthan: { negated: false, test: numeric((a, b) => a > b) },
  numericgreaterthanequals: { negated: false, test: numeric((a, b) => a >= b) },
  dateequals: { negated: false, test: date(eq) },
  datenotequals: { negated: true, test: date(eq) },
  datelessthan: { negated: false, test: date((a, b) => a < b) },
  datelessthanequals: { negated: false, test: date((a, b) => a <= b) },
  dategreaterthan: { negated: false, test: date((a, b) => a > b) },
  dategreaterthanequals: { negated: false, test: date((a, b) => a >= b) },
  bool: { negated: false, test: (p, r, l, s) => substituteText(p, l, s)?.toLowerCase() === r.toLowerCase() },
  binaryequals: { negated: false, test: (p, r) => p === r },
  ipaddress: {
    negated: false,
    test: (p, r) => {
      const cidr = parseCidr(p);
      return cidr !== undefined && cidrContains(cidr, r);
    },
  },
  notipaddress: {
    negated: true,
    test: (p, r) => {
      const cidr = parseCidr(p);
      return cidr !== undefined && cidrContains(cidr, r);
    },
  },
  arnequals: { negated: false, test: arnLike },
  arnlike: { negated: false, test: arnLike },
  arnnotequals: { negated: true, test: arnLike },
  arnnotlike: { negated: true, test: arnLike },
};

/** A condition operator split into its parts. */
export interface ParsedOperator {
  set?: 'ForAllValues' | 'ForAnyValue';
  /** Lower-cased base name (`stringlike`, `null`…). */
  base: string;
  ifExists: boolean;
}

/** Splits `ForAnyValue:StringLikeIfExists` into set qualifier, base operator and IfExists; undefined if unknown. */
export function parseOperator(operator: string): ParsedOperator | undefined {
  const known = operatorCache.get(operator);
  if (known !== undefined) return known ?? undefined;
  const parsed = readOperator(operator);
  remember(operatorCache, operator, parsed ? Object.freeze(parsed) : null);
  return parsed;
}

/** parseOperator by operator spelling (policies repeat a few dozen spellings); answers are frozen, null = unknown. */
const operatorCache = boundedMap<string, ParsedOperator | null>(5_000);

function readOperator(operator: string): ParsedOperator | undefined {
  let rest = operator;
  let set: ParsedOperator['set'];
  const colon = rest.indexOf(':');
  if (colon >= 0) {
    const prefix = rest.slice(0, colon).toLowerCase();
    if (prefix === 'forallvalues') set = 'ForAllValues';
    else if (prefix === 'foranyvalue') set = 'ForAnyValue';
    else return undefined;
    rest = rest.slice(colon + 1);
  }
  let base = rest.toLowerCase();
  let ifExists = false;
  if (base.endsWith('ifexists')) {
    ifExists = true;
    base = base.slice(0, -'ifexists'.length);
  }
  if (base === 'null') return ifExists ? undefined : { ...(set ? { set } : {}), base, ifExists };
  if (!OPERATORS[base]) return undefined;
  return { ...(set ? { set } : {}), base, ifExists };
}

/** True when the operator name is one IAM knows. */
export function isKnownOperator(operator: string): boolean {
  return parseOperator(operator) !== undefined;
}

/**
 * Evaluates one condition clause against the request context, following IAM's documented rules:
 * values of one key are ORed; a missing key makes positive operators false and negated ones
 * (`StringNotEquals`, `NotIpAddress`, `ArnNotLike`…) true; `...IfExists` makes a missing key true;
 * `ForAllValues` is true when every request value matches (vacuously true for a missing key);
 * `ForAnyValue` when at least one does (false for a missing key); `Null` tests presence.
 * Unknown operators never match (the statement then does not apply).
 */
export function evaluateClause(clause: ConditionClause, lookup: ContextLookup, substitute: boolean): boolean {
  const op = parseOperator(clause.operator);
  if (!op) return false;
  const requestValues = lookup(clause.key);
  const present = requestValues !== undefined && requestValues.length > 0;
  if (op.base === 'null') {
    return clause.values.some((v) => (v.toLowerCase() === 'true' ? !present : v.toLowerCase() === 'false' ? present : false));
  }
  const base = OPERATORS[op.base] as BaseOperator;
  const matchesSome = (requestValue: string): boolean =>
    clause.values.some((policyValue) => base.test(policyValue, requestValue, lookup, substitute));
  if (!present) {
    if (op.ifExists) return true;
    if (op.set === 'ForAllValues') return true;
    if (op.set === 'ForAnyValue') return false;
    return base.negated;
  }
  const values = requestValues as string[];
  const perValue = (v: string): boolean => (base.negated ? !matchesSome(v) : matchesSome(v));
  if (op.set === 'ForAllValues') return values.every(perValue);
  if (op.set === 'ForAnyValue') return values.some(perValue);
  const anyMatch = values.some(matchesSome);
  return base.negated ? !anyMatch : anyMatch;
}

/** All clauses of a statement's Condition must hold (operators and keys are ANDed). */
export function evaluateConditions(clauses: readonly ConditionClause[], lookup: ContextLookup, substitute: boolean): boolean {
  return clauses.every((c) => evaluateClause(c, lookup, substitute));
}

/** One request value against one policy value (variables, when any, resolved through `lookup`). */
type ValueTest = (requestValue: string, lookup: ContextLookup) => boolean;

/**
 * A condition clause compiled once per policy: operator resolved to its function, key lower-cased,
 * and each policy value without policy variables pre-processed (numbers, dates, CIDRs parsed,
 * wildcard patterns compiled). Values with variables keep the per-request path. Same answers as
 * {@link evaluateClause}.
 */
export interface CompiledClause {
  clause: ConditionClause;
  /** Lower-cased key. */
  key: string;
  /** Unknown operator: never matches. */
  unknown: boolean;
  isNull: boolean;
  /** For `Null`: a value says "true" (absent) / "false" (present). */
  nullTrue: boolean;
  nullFalse: boolean;
  set?: 'ForAllValues' | 'ForAnyValue';
  ifExists: boolean;
  negated: boolean;
  tests: ValueTest[];
}

const noLookup: ContextLookup = () => undefined;

const lt = (a: number, b: number): boolean => a < b;
const le = (a: number, b: number): boolean => a <= b;
const gt = (a: number, b: number): boolean => a > b;
const ge = (a: number, b: number): boolean => a >= b;
/** The comparison of each numeric / date operator (request value first), as in OPERATORS. */
const COMPARISONS: Record<string, (a: number, b: number) => boolean> = {
  numericequals: eq,
  numericnotequals: eq,
  numericlessthan: lt,
  numericlessthanequals: le,
  numericgreaterthan: gt,
  numericgreaterthanequals: ge,
  dateequals: eq,
  datenotequals: eq,
  datelessthan: lt,
  datelessthanequals: le,
  dategreaterthan: gt,
  dategreaterthanequals: ge,
};

function compileValueTest(base: string, operator: BaseOperator, p: string, substitute: boolean): ValueTest {
  const fixed = !substitute || !p.includes('${');
  if (!fixed) return (r, l) => operator.test(p, r, l, substitute);
  switch (base) {
    case 'stringequals':
    case 'stringnotequals': {
      const text = substituteText(p, noLookup, substitute);
      return (r) => text === r;
    }
    case 'stringequalsignorecase':
    case 'stringnotequalsignorecase':
    case 'bool': {
      const text = substituteText(p, noLookup, substitute)?.toLowerCase();
      return (r) => text === r.toLowerCase();
    }
    case 'stringlike':
    case 'stringnotlike': {
      const codes = compileCodes(p);
      return (r) => matchCodes(codes, r);
    }
    case 'arnequals':
    case 'arnlike':
    case 'arnnotequals':
    case 'arnnotlike': {
      const m = arnMatcherOf(p);
      return (r) => matchArn(m, splitArn(r));
    }
    case 'ipaddress':
    case 'notipaddress': {
      const cidr = parseCidr(p);
      return (r) => cidr !== undefined && cidrContains(cidr, r);
    }
    case 'binaryequals':
      return (r) => p === r;
    default: {
      const cmp = COMPARISONS[base];
      if (cmp) {
        const parse = base.startsWith('numeric') ? parseNumber : parseDate;
        const b = parse(p);
        if (b === undefined) return () => false;
        return (r) => {
          const a = parse(r);
          return a !== undefined && cmp(a, b);
        };
      }
      return (r, l) => operator.test(p, r, l, substitute);
    }
  }
}

/** Compiles a clause (see {@link CompiledClause}); `substitute` is the policy's Version-2012-10-17 flag. */
export function compileClause(clause: ConditionClause, substitute: boolean): CompiledClause {
  const op = parseOperator(clause.operator);
  const out: CompiledClause = {
    clause,
    key: clause.key.toLowerCase(),
    unknown: op === undefined,
    isNull: op?.base === 'null',
    nullTrue: false,
    nullFalse: false,
    ifExists: op?.ifExists ?? false,
    negated: false,
    tests: [],
  };
  if (!op) return out;
  if (op.set) out.set = op.set;
  if (op.base === 'null') {
    for (const v of clause.values) {
      const l = v.toLowerCase();
      if (l === 'true') out.nullTrue = true;
      else if (l === 'false') out.nullFalse = true;
    }
    return out;
  }
  const base = OPERATORS[op.base] as BaseOperator;
  out.negated = base.negated;
  out.tests = clause.values.map((p) => compileValueTest(op.base, base, p, substitute));
  return out;
}

function matchesSomeValue(tests: readonly ValueTest[], requestValue: string, lookup: ContextLookup): boolean {
  for (let i = 0; i < tests.length; i++) if ((tests[i] as ValueTest)(requestValue, lookup)) return true;
  return false;
}

/** Evaluates a compiled clause; `values` are the request's values of its key (undefined when absent). */
export function evaluateCompiledClause(c: CompiledClause, values: readonly string[] | undefined, lookup: ContextLookup): boolean {
  if (c.unknown) return false;
  const present = values !== undefined && values.length > 0;
  if (c.isNull) return (c.nullTrue && !present) || (c.nullFalse && present);
  if (!present) {
    if (c.ifExists) return true;
    if (c.set === 'ForAllValues') return true;
    if (c.set === 'ForAnyValue') return false;
    return c.negated;
  }
  const list = values as readonly string[];
  if (c.set === 'ForAllValues') {
    for (const v of list) if (matchesSomeValue(c.tests, v, lookup) === c.negated) return false;
    return true;
  }
  if (c.set === 'ForAnyValue') {
    for (const v of list) if (matchesSomeValue(c.tests, v, lookup) !== c.negated) return true;
    return false;
  }
  let anyMatch = false;
  for (const v of list) {
    if (matchesSomeValue(c.tests, v, lookup)) {
      anyMatch = true;
      break;
    }
  }
  return c.negated ? !anyMatch : anyMatch;
}
