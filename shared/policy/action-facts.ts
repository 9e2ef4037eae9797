/**
 * What validation needs to know about one Action/NotAction string, decided once per process per
 * distinct string: the catalogue answer for `s3:GetObject` is the same in every statement and every
 * policy, and the managed corpus has ~59,000 Action entries but ~16,000 distinct strings. Every fact
 * is a pure function of the string and the catalogue (whose availability is decided once per
 * process), so a remembered answer is never stale. The map is bounded (emptied when full).
 */
import { actionInfo, actionInfoOf, actionNamesOf, catalogAvailable, serviceExists } from './catalog.ts';
import type { CatalogAction } from './catalog.ts';
import type { Statement, ValidationIssue } from './types.ts';
import { matchAction, matchWildcard } from './wildcard.ts';
import { boundedMap, remember } from '../memo.ts';
import { statementMemo } from './statement-memo.ts';

/** checkAction's verdict on the string; null = nothing to report. */
export type ActionVerdict = { level: ValidationIssue['level']; code: string; message: string } | null;

/** The actions Parliament's RESOURCE_POLICY_PRIVILEGE_ESCALATION check asks about, one bit each in {@link ActionFacts.escalationBits}. */
export const BUCKET_ESCALATION_ACTIONS = ['s3:PutBucketPolicy', 's3:PutBucketAcl', 's3:GetObject', 's3:PutObject', 's3:DeleteObject'] as const;

export interface ActionFacts {
  verdict: ActionVerdict;
  /** The string names one action (no `*`/`?`, has a colon): the test the resource and condition-key checks apply. */
  specific: boolean;
  /** For a specific string, its catalogue entry (undefined when unknown or no catalogue). */
  info: CatalogAction | undefined;
  /** `info` supports resource-level permissions and is not a List action (Parliament's RESOURCE_STAR). */
  scoped: boolean;
  /** Bit i set when `matchAction(string, BUCKET_ESCALATION_ACTIONS[i])`. */
  escalationBits: number;
  /** `matchAction(string, 'iam:PassRole')` (the PassRole-on-every-role check). */
  passRole: boolean;
  /**
   * One further per-string answer kept by its owner (action-index.ts keeps the question bits
   * here), so a second index over the same strings needs no map of its own. Only `owner` reads it.
   */
  slot?: { owner: object; value: unknown };
}

const ACTION_SYNTAX = /^[a-zA-Z0-9-]+:[a-zA-Z0-9*?]+$/;
const FACTS_LIMIT = 50_000;
const facts = boundedMap<string, ActionFacts>(FACTS_LIMIT);

function verdictOf(pattern: string): ActionVerdict {
  if (pattern === '*') return null;
  if (!ACTION_SYNTAX.test(pattern)) return { level: 'error', code: 'invalid-action', message: `"${pattern}" is not a valid action (expected service:Action)` };
  if (!catalogAvailable()) return null;
  const [service, name] = pattern.split(':') as [string, string];
  if (!serviceExists(service)) return { level: 'warning', code: 'unknown-service', message: `unknown service prefix "${service}" in "${pattern}"` };
  if (name.includes('*') || name.includes('?')) {
    if (!actionNamesOf(service).some((a) => matchWildcard(name, a, true))) return { level: 'warning', code: 'unknown-action', message: `"${pattern}" matches no ${service} action` };
  } else if (!actionInfo(service, name)) {
    return { level: 'warning', code: 'unknown-action', message: `unknown action "${pattern}"` };
  }
  return null;
}

function readFacts(pattern: string): ActionFacts {
  const specific = !(pattern === '*' || pattern.includes('*') || pattern.includes('?') || !pattern.includes(':'));
  const info = specific ? actionInfoOf(pattern) : undefined;
  let escalationBits = 0;
  BUCKET_ESCALATION_ACTIONS.forEach((a, i) => {
    if (matchAction(pattern, a)) escalationBits |= 1 << i;
  });
  return {
    verdict: verdictOf(pattern),
    specific,
    info,
    scoped: info !== undefined && info.arnFormats.length > 0 && info.accessLevel !== 'List',
    escalationBits,
    passRole: matchAction(pattern, 'iam:PassRole'),
    // Present from the start (set later by action-index.ts): one object shape before and after.
    slot: undefined,
  };
}

/** The facts of one Action/NotAction string as written (memoised by the exact string; do not modify). */
export function actionFacts(pattern: string): ActionFacts {
  let known = facts.get(pattern);
  if (!known) {
    known = readFacts(pattern);
    remember(facts, pattern, known);
  }
  return known;
}

const NONE: readonly ActionFacts[] = Object.freeze([]);

/**
 * {@link actionFacts} of each string of `s.action ?? s.notAction`, looked up once per statement
 * (validation's checks and the analyzer's action index read the same parsed statements).
 */
export const statementFacts: (s: Statement) => readonly ActionFacts[] = statementMemo('statementFacts', (s) => {
  const list = s.action ?? s.notAction;
  return list ? list.map(actionFacts) : NONE;
});
