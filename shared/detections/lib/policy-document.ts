import { asArray, isObject, str } from './values.ts';

/**
 * Quick, conservative reads of an IAM-style policy document, enough for the first-pass severity of
 * `policy-changed` (full evaluation belongs to the policy engine). Every function accepts anything
 * and never throws: a document that is not an object simply has no statements.
 */

export interface Statement {
  Effect?: unknown;
  Action?: unknown;
  NotAction?: unknown;
  Resource?: unknown;
  NotResource?: unknown;
  Principal?: unknown;
  NotPrincipal?: unknown;
  Condition?: unknown;
  [key: string]: unknown;
}

/**
 * Deepest nesting a decoded document may have. Real policies nest 4–5 levels (Statement → Condition
 * → operator → key → values); the policy engine refuses more than 32 (`shared/policy/parse.ts`).
 * Without a bound, a document nested thousands of levels deep overflows the stack of every
 * recursive reader after it — the engine, `JSON.stringify` in each sink — and loses the finding.
 */
export const MAX_DOCUMENT_DEPTH = 32;

/** Nesting depth of JSON text (brackets outside strings), without recursion; stops counting past `limit`. */
export function textDepth(text: string, limit: number): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > max) max = depth;
      if (max > limit) return max;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return max;
}

/** Nesting depth of a parsed value (objects and arrays), without recursion; stops past `limit`. */
export function valueDepth(value: unknown, limit: number): number {
  let max = 0;
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop() as [unknown, number];
    if (node === null || typeof node !== 'object') continue;
    if (depth + 1 > max) max = depth + 1;
    if (max > limit) return max;
    for (const child of Object.values(node as Record<string, unknown>)) stack.push([child, depth + 1]);
  }
  return max;
}

/** Result of decoding a policy document that CloudTrail may give as object, JSON string or URL-encoded JSON. */
export type DecodedDocument = { document: unknown } | { error: string } | undefined;

/**
 * Decodes a policy document as CloudTrail logs it: a parsed object (S3 `bucketPolicy`), a JSON string
 * (IAM `policyDocument`, KMS `policy`) or URL-encoded JSON (IAM documents in `responseElements`).
 * Empty input gives undefined; text that is not JSON, or nests deeper than {@link MAX_DOCUMENT_DEPTH},
 * gives `{ error }` (the deep document itself is never passed on).
 */
export function decodeDocument(value: unknown): DecodedDocument {
  if (value === undefined || value === null) return undefined;
  const tooDeep = { error: `policy document nests deeper than ${MAX_DOCUMENT_DEPTH} levels` };
  if (typeof value !== 'string') return valueDepth(value, MAX_DOCUMENT_DEPTH) > MAX_DOCUMENT_DEPTH ? tooDeep : { document: value };
  const text = value.trim();
  if (text.length === 0) return undefined;
  const attempt = (candidate: string): unknown => {
    if (textDepth(candidate, MAX_DOCUMENT_DEPTH) > MAX_DOCUMENT_DEPTH) throw new DocumentTooDeep();
    return JSON.parse(candidate) as unknown;
  };
  try {
    return { document: attempt(text) };
  } catch (first) {
    if (first instanceof DocumentTooDeep) return tooDeep;
    if (/%[0-9a-f]{2}/i.test(text)) {
      try {
        return { document: attempt(decodeURIComponent(text.replace(/\+/g, ' '))) };
      } catch (second) {
        if (second instanceof DocumentTooDeep) return tooDeep;
        // fall through to the error of the raw text
      }
    }
    return { error: `policy document is not JSON: ${(first as Error).message}` };
  }
}

/** Internal signal: the text nests too deep to be parsed (never escapes `decodeDocument`). */
class DocumentTooDeep extends Error {
  constructor() {
    super('policy document nests too deep');
    this.name = 'DocumentTooDeep';
  }
}

/**
 * The statements of a document (`Statement` may be one object or an array). A bare statement (Lambda
 * `AddPermission` logs the one statement it added) counts as a one-statement document.
 */
export function statements(document: unknown): Statement[] {
  if (!isObject(document)) return [];
  if (!('Statement' in document) && 'Effect' in document) return [document as Statement];
  return asArray(document['Statement']).filter(isObject) as Statement[];
}

function isAllow(s: Statement): boolean {
  return typeof s.Effect === 'string' && s.Effect.toLowerCase() === 'allow';
}

/** True for an Allow statement that grants every action on every resource (`*` on `*`), with no condition. */
export function grantsFullAdmin(s: Statement): boolean {
  if (!isAllow(s) || s.Condition !== undefined || s.NotAction !== undefined || s.NotResource !== undefined) return false;
  const actions = asArray(s.Action);
  const resources = asArray(s.Resource);
  return actions.includes('*') && (resources.includes('*') || s.Resource === undefined);
}

/** All principal strings a statement names, flattened (`"*"`, account ids, ARNs, service names). */
export function principalValues(principal: unknown): string[] {
  if (typeof principal === 'string') return [principal];
  if (!isObject(principal)) return [];
  return Object.values(principal).flatMap((v) => asArray(v).map(str).filter((x): x is string => x !== undefined));
}

/** True when the Principal is anyone: `"*"` or `{"AWS": "*"}` (a service principal is not anyone). */
export function principalIsAnyone(principal: unknown): boolean {
  if (principal === '*') return true;
  if (!isObject(principal)) return false;
  return asArray(principal['AWS']).includes('*') || asArray(principal['CanonicalUser']).includes('*');
}

/**
 * Condition keys that limit who can use a wildcard-principal grant to a known account, organisation,
 * network or resource. A public grant guarded by one of them is not "open to the internet".
 */
const RESTRICTING_CONDITION_KEYS = new Set(
  [
    'aws:PrincipalOrgID',
    'aws:PrincipalOrgPaths',
    'aws:PrincipalAccount',
    'aws:PrincipalArn',
    'aws:SourceAccount',
    'aws:SourceArn',
    'aws:SourceOrgID',
    'aws:SourceOrgPaths',
    'aws:SourceVpc',
    'aws:SourceVpce',
    'aws:SourceIp',
    'aws:userid',
    'aws:username',
    'kms:CallerAccount',
    'kms:ViaService',
  ].map((k) => k.toLowerCase()),
);

/** True when a statement's Condition contains at least one key that narrows who may use it. */
export function hasRestrictingCondition(s: Statement): boolean {
  if (!isObject(s.Condition)) return false;
  return Object.values(s.Condition).some(
    (block) => isObject(block) && Object.keys(block).some((key) => RESTRICTING_CONDITION_KEYS.has(key.toLowerCase())),
  );
}

/** Allow statements that let anyone in (wildcard principal) without a restricting condition. */
export function publicStatements(document: unknown): Statement[] {
  return statements(document).filter((s) => isAllow(s) && principalIsAnyone(s.Principal) && !hasRestrictingCondition(s));
}

/**
 * AWS account ids named by the Allow statements' principals (`123456789012`, `arn:aws:iam::123456789012:...`),
 * excluding `ownAccount`: the accounts a trust or resource policy newly lets in.
 */
export function foreignAccounts(document: unknown, ownAccount: string): string[] {
  const found = new Set<string>();
  for (const s of statements(document)) {
    if (!isAllow(s) || !isObject(s.Principal)) continue;
    for (const value of asArray(s.Principal['AWS'])) {
      const text = str(value);
      if (!text) continue;
      const match = /^(\d{12})$/.exec(text) ?? /^arn:aws[a-z-]*:(?:iam|sts)::(\d{12}):/.exec(text);
      if (match?.[1] && match[1] !== ownAccount) found.add(match[1]);
    }
  }
  return [...found].sort();
}

/**
 * The actions (lower-cased) that Allow statements grant to `account` through `Principal.AWS` (its
 * id, root ARN, or a user/role ARN in it). `*` or `NotAction` statements give `['*']`.
 */
export function actionsGrantedTo(document: unknown, account: string): string[] {
  const found = new Set<string>();
  for (const s of statements(document)) {
    if (!isAllow(s) || !isObject(s.Principal)) continue;
    const names = asArray(s.Principal['AWS']).map(str);
    const matches = names.some((t) => t !== undefined && (t === account || new RegExp(`^arn:aws[a-z-]*:(?:iam|sts)::${account}:`).test(t)));
    if (!matches) continue;
    if (s.NotAction !== undefined) found.add('*');
    for (const a of asArray(s.Action)) {
      const text = str(a);
      if (text) found.add(text.toLowerCase());
    }
  }
  return [...found].sort();
}
