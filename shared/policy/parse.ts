import { PolicyParseError } from './errors.ts';
import { scanJson } from './json-position.ts';
import type { ConditionClause, Effect, Policy, PrincipalBlock, Statement, ValidationIssue } from './types.ts';

/** Result of parsing: the normalised policy plus the structural issues found on the way. */
export interface ParseResult {
  policy: Policy;
  issues: ValidationIssue[];
  /** The JSON text the size was measured on (the input serialised, or the decoded text re-serialised). */
  text: string;
}

/** Hard cap on the document we accept at all (far above every AWS quota), so a hostile input cannot exhaust memory later. */
export const MAX_DOCUMENT_CHARS = 2_000_000;
/** Nesting deeper than this is not a policy (real policies nest 4–5 levels). */
export const MAX_DEPTH = 32;

const PRINCIPAL_KEYS = new Set(['AWS', 'Service', 'Federated', 'CanonicalUser']);
const STATEMENT_KEYS = new Set([
  'Sid',
  'Effect',
  'Principal',
  'NotPrincipal',
  'Action',
  'NotAction',
  'Resource',
  'NotResource',
  'Condition',
]);

/** Turns the text into JSON, accepting plain or URL-encoded JSON (as IAM puts it in responseElements). */
function decodeText(text: string): unknown {
  if (text.length > MAX_DOCUMENT_CHARS) {
    throw new PolicyParseError(`policy document is ${text.length} characters, above the ${MAX_DOCUMENT_CHARS} the engine accepts`);
  }
  let source = text.trim();
  if (source.startsWith('%')) {
    try {
      source = decodeURIComponent(source).trim();
    } catch {
      throw new PolicyParseError('policy looks URL-encoded but is not valid percent-encoding');
    }
  }
  const scan = scanJson(source, MAX_DEPTH);
  if (scan.depth > MAX_DEPTH) throw new PolicyParseError(`policy nests deeper than ${MAX_DEPTH} levels`);
  if (scan.errorAt !== undefined) throw new PolicyParseError(`invalid JSON: ${scan.error}`, scan.errorAt, source);
  try {
    return JSON.parse(source);
  } catch (error) {
    throw new PolicyParseError(`invalid JSON: ${(error as Error).message}`);
  }
}

/**
 * Maximum nesting depth, computed without recursion so a 1 MB `[[[[...` cannot blow the stack (a
 * leaf counts as a level). Stops at the first level deeper than MAX_DEPTH and returns it.
 */
function depthOf(value: unknown): number {
  if (value === null || typeof value !== 'object') return 1;
  let max = 1;
  // Two parallel stacks of objects and their depths: no pair allocated per node.
  const nodes: object[] = [value];
  const depths: number[] = [1];
  while (nodes.length > 0) {
    const node = nodes.pop() as object;
    const depth = depths.pop() as number;
    if (depth > MAX_DEPTH) return depth;
    const child = depth + 1;
    // An array's elements by index (what JSON.stringify serialises of it), with no copy per node.
    const values: readonly unknown[] = Array.isArray(node) ? node : Object.values(node);
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (v !== null && typeof v === 'object') {
        nodes.push(v as object);
        depths.push(child);
      } else if (child > MAX_DEPTH) return child;
      if (child > max) max = child;
    }
  }
  return max;
}

/** IAM counts policy size in characters excluding whitespace (outside strings). */
export function policySize(json: string): number {
  let count = 0;
  let inString = false;
  for (let i = 0; i < json.length; i++) {
    const c = json[i] as string;
    if (inString) {
      count++;
      if (c === '\\') {
        count++;
        i++;
      } else if (c === '"') inString = false;
    } else if (c === '"') {
      inString = true;
      count++;
    } else if (c !== ' ' && c !== '\n' && c !== '\r' && c !== '\t') count++;
  }
  return count;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Reads a string-or-array-of-strings element, reporting non-strings. */
function stringList(value: unknown, element: string, index: number, issues: ValidationIssue[]): string[] | undefined {
  const list = Array.isArray(value) ? value : [value];
  const out: string[] = [];
  for (const item of list) {
    if (typeof item === 'string') out.push(item);
    else {
      issues.push({
        level: 'error',
        code: 'invalid-element-type',
        message: `${element} must be a string or an array of strings, found ${item === null ? 'null' : typeof item}`,
        statement: index,
      });
      return undefined;
    }
  }
  if (out.length === 0) {
    issues.push({ level: 'error', code: 'empty-element', message: `${element} is an empty array`, statement: index });
    return undefined;
  }
  return out;
}

function principalBlock(value: unknown, element: string, index: number, issues: ValidationIssue[]): PrincipalBlock | undefined {
  if (value === '*') return { '*': ['*'] };
  if (!isRecord(value)) {
    issues.push({ level: 'error', code: 'invalid-principal', message: `${element} must be "*" or an object with AWS, Service, Federated or CanonicalUser`, statement: index });
    return undefined;
  }
  const block: PrincipalBlock = {};
  for (const [key, raw] of Object.entries(value)) {
    if (!PRINCIPAL_KEYS.has(key)) {
      issues.push({ level: 'error', code: 'invalid-principal', message: `${element} has unsupported key "${key}"`, statement: index });
      return undefined;
    }
    const list = stringList(raw, `${element}.${key}`, index, issues);
    if (!list) return undefined;
    block[key] = list;
  }
  if (Object.keys(block).length === 0) {
    issues.push({ level: 'error', code: 'invalid-principal', message: `${element} is an empty object`, statement: index });
    return undefined;
  }
  return block;
}

function conditionValue(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

function conditions(value: unknown, index: number, issues: ValidationIssue[]): ConditionClause[] | undefined {
  if (!isRecord(value)) {
    issues.push({ level: 'error', code: 'invalid-condition', message: 'Condition must be an object of operator -> { key: values }', statement: index });
    return undefined;
  }
  const out: ConditionClause[] = [];
  for (const [operator, block] of Object.entries(value)) {
    if (!isRecord(block)) {
      issues.push({ level: 'error', code: 'invalid-condition', message: `Condition operator ${operator} must map to an object of key -> values`, statement: index });
      return undefined;
    }
    for (const [key, raw] of Object.entries(block)) {
      const list = Array.isArray(raw) ? raw : [raw];
      const values: string[] = [];
      for (const item of list) {
        const v = conditionValue(item);
        if (v === undefined) {
          issues.push({ level: 'error', code: 'invalid-condition', message: `Condition ${operator} ${key} has a value that is not a string, number or boolean`, statement: index });
          return undefined;
        }
        values.push(v);
      }
      out.push({ operator, key, values });
    }
  }
  return out;
}

/** The positive/negative element pairs of a statement, in the order they are read (one array for all statements). */
const ELEMENT_PAIRS: ReadonlyArray<readonly [string, string, 'action' | 'resource']> = [
  ['Action', 'NotAction', 'action'],
  ['Resource', 'NotResource', 'resource'],
];

function statementOf(raw: unknown, index: number, issues: ValidationIssue[]): Statement | undefined {
  if (!isRecord(raw)) {
    issues.push({ level: 'error', code: 'invalid-statement', message: `Statement ${index} is ${raw === null ? 'null' : typeof raw}, not an object`, statement: index });
    return undefined;
  }
  const before = issues.length;
  const sid = typeof raw['Sid'] === 'string' ? raw['Sid'] : undefined;
  if (raw['Sid'] !== undefined && typeof raw['Sid'] !== 'string') {
    issues.push({ level: 'error', code: 'invalid-sid', message: 'Sid must be a string', statement: index });
  }
  for (const key of Object.keys(raw)) {
    if (!STATEMENT_KEYS.has(key)) {
      issues.push({ level: 'error', code: 'unknown-element', message: `unknown statement element "${key}"`, statement: index, sid });
    }
  }
  let effect: Effect | undefined;
  if (raw['Effect'] === undefined) {
    issues.push({ level: 'error', code: 'missing-effect', message: 'statement has no Effect', statement: index, sid });
  } else if (raw['Effect'] === 'Allow' || raw['Effect'] === 'Deny') {
    effect = raw['Effect'];
  } else {
    issues.push({ level: 'error', code: 'invalid-effect', message: `Effect must be "Allow" or "Deny", found ${JSON.stringify(raw['Effect'])}`, statement: index, sid });
  }
  // Every statement has the same properties in the same order, absent ones `undefined`: one object
  // shape, so validation's and the analyzer's reads of statements stay monomorphic. The order is the
  // one the elements were added in before, so JSON.stringify (which leaves `undefined` out) gives
  // the same text as for a statement built element by element.
  const statement: Statement = {
    index,
    effect: effect ?? 'Deny',
    conditions: [],
    sid,
    action: undefined,
    notAction: undefined,
    resource: undefined,
    notResource: undefined,
    principal: undefined,
    notPrincipal: undefined,
  };

  for (const [positive, negative, field] of ELEMENT_PAIRS) {
    const hasPos = raw[positive] !== undefined;
    const hasNeg = raw[negative] !== undefined;
    if (hasPos && hasNeg) {
      issues.push({ level: 'error', code: 'conflicting-elements', message: `statement has both ${positive} and ${negative}`, statement: index, sid });
    }
    if (hasPos) {
      const list = stringList(raw[positive], positive, index, issues);
      if (list) statement[field] = list;
    } else if (hasNeg) {
      const list = stringList(raw[negative], negative, index, issues);
      if (list) statement[field === 'action' ? 'notAction' : 'notResource'] = list;
    } else if (field === 'action') {
      issues.push({ level: 'error', code: 'missing-action', message: 'statement has neither Action nor NotAction', statement: index, sid });
    }
  }
  if (raw['Principal'] !== undefined && raw['NotPrincipal'] !== undefined) {
    issues.push({ level: 'error', code: 'conflicting-elements', message: 'statement has both Principal and NotPrincipal', statement: index, sid });
  }
  if (raw['Principal'] !== undefined) {
    const block = principalBlock(raw['Principal'], 'Principal', index, issues);
    if (block) statement.principal = block;
  }
  if (raw['NotPrincipal'] !== undefined) {
    const block = principalBlock(raw['NotPrincipal'], 'NotPrincipal', index, issues);
    if (block) statement.notPrincipal = block;
  }
  if (raw['Condition'] !== undefined) {
    const list = conditions(raw['Condition'], index, issues);
    if (list) statement.conditions = list;
  }
  // A statement with a structural error is not evaluated (AWS would reject the whole policy).
  let broken = false;
  for (let i = before; i < issues.length; i++) {
    const issue = issues[i] as ValidationIssue;
    if (sid !== undefined && issue.sid === undefined) issue.sid = sid;
    if (issue.level === 'error') broken = true;
  }
  return broken ? undefined : statement;
}

/**
 * Parses a policy from an object, a JSON string or a URL-encoded JSON string into the normalised
 * model. Structural problems (missing Effect, non-string actions, null statements…) become issues
 * and the statement is left out; only input that is not a JSON object at all throws
 * {@link PolicyParseError} (with the position for bad JSON).
 */
export function parsePolicy(input: unknown): ParseResult {
  let document: unknown = input;
  let text: string;
  if (typeof input === 'string') {
    document = decodeText(input);
    text = JSON.stringify(document);
  } else {
    // Depth first: serialising a document nested thousands of levels deep overflows the stack.
    if (depthOf(input) > MAX_DEPTH) throw new PolicyParseError(`policy nests deeper than ${MAX_DEPTH} levels`);
    try {
      text = JSON.stringify(input) ?? '';
    } catch (error) {
      throw new PolicyParseError(`policy object cannot be serialised: ${(error as Error).message}`);
    }
    if (text.length > MAX_DOCUMENT_CHARS) {
      throw new PolicyParseError(`policy document is ${text.length} characters, above the ${MAX_DOCUMENT_CHARS} the engine accepts`);
    }
  }
  if (!isRecord(document)) {
    throw new PolicyParseError(`a policy must be a JSON object, found ${document === null ? 'null' : Array.isArray(document) ? 'an array' : typeof document}`);
  }
  // An object input was measured above already (the same object).
  const depth = document === input && typeof input !== 'string' ? 0 : depthOf(document);
  if (depth > MAX_DEPTH) throw new PolicyParseError(`policy nests deeper than ${MAX_DEPTH} levels`);

  const issues: ValidationIssue[] = [];
  // `text` is JSON.stringify output (no whitespace outside strings), so IAM's size of it, policySize(text),
  // is its length: every character counts (test/policy/parse-validate.test.ts checks the equality).
  const policy: Policy = { statements: [], size: text.length, bytes: Buffer.byteLength(text, 'utf8') };
  for (const key of Object.keys(document)) {
    if (key !== 'Version' && key !== 'Id' && key !== 'Statement') {
      issues.push({ level: 'error', code: 'unknown-element', message: `unknown top-level element "${key}"` });
    }
  }
  const version = document['Version'];
  if (version === undefined) {
    issues.push({ level: 'warning', code: 'missing-version', message: 'no Version: AWS applies 2008-10-17 rules, where policy variables are not replaced; use "2012-10-17"' });
  } else if (version === '2012-10-17' || version === '2008-10-17') {
    policy.version = version;
  } else {
    issues.push({ level: 'error', code: 'invalid-version', message: `Version must be "2012-10-17" or "2008-10-17", found ${JSON.stringify(version)}` });
  }
  if (typeof document['Id'] === 'string') policy.id = document['Id'];
  else if (document['Id'] !== undefined) issues.push({ level: 'error', code: 'invalid-id', message: 'Id must be a string' });

  const rawStatements = document['Statement'];
  if (rawStatements === undefined || rawStatements === null) {
    issues.push({ level: 'error', code: 'missing-statement', message: 'policy has no Statement' });
  } else {
    const list = Array.isArray(rawStatements) ? rawStatements : [rawStatements];
    if (list.length === 0) issues.push({ level: 'error', code: 'missing-statement', message: 'Statement is an empty array' });
    list.forEach((raw, index) => {
      const statement = statementOf(raw, index, issues);
      if (statement) policy.statements.push(statement);
    });
    const sids = new Map<string, number>();
    for (const s of policy.statements) {
      if (s.sid === undefined || s.sid === '') continue;
      if (sids.has(s.sid)) issues.push({ level: 'error', code: 'duplicate-sid', message: `duplicate Sid "${s.sid}"`, statement: s.index, sid: s.sid });
      sids.set(s.sid, s.index);
    }
  }
  return { policy, issues, text };
}

/** True when the value is an already-normalised {@link Policy}. */
export function isNormalizedPolicy(value: unknown): value is Policy {
  return isRecord(value) && Array.isArray(value['statements']) && typeof value['size'] === 'number';
}
