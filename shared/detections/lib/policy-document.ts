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

/** Result of decoding a policy document that CloudTrail may give as object, JSON string or URL-encoded JSON. */
export type DecodedDocument = { document: unknown } | { error: string } | undefined;

/**
 * Decodes a policy document as CloudTrail logs it: a parsed object (S3 `bucketPolicy`), a JSON string
 * (IAM `policyDocument`, KMS `policy`) or URL-encoded JSON (IAM documents in `responseElements`).
 * Empty input gives undefined; text that is not JSON gives `{ error }`.
 */
export function decodeDocument(value: unknown): DecodedDocument {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') return { document: value };
  const text = value.trim();
  if (text.length === 0) return undefined;
  const attempt = (candidate: string): unknown => JSON.parse(candidate) as unknown;
  try {
    return { document: attempt(text) };
  } catch (first) {
    if (/%[0-9a-f]{2}/i.test(text)) {
      try {
        return { document: attempt(decodeURIComponent(text.replace(/\+/g, ' '))) };
      } catch {
        // fall through to the error of the raw text
      }
    }
    return { error: `policy document is not JSON: ${(first as Error).message}` };
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
    'lambda:FunctionUrlAuthType',
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
