/**
 * Which events the deployed API-rate detector sees, so replay's rate analysis counts the same
 * events as Lambda. The rates rule (serverless.yml `RatesRule`, checked against `RATES_RULE_PATTERN`
 * by test/infra/template.test.ts) receives CloudTrail **management** events — API calls and
 * console sign-ins, read-only ones included — and never data events (S3 object reads, Lambda
 * invokes…), AWS service events or Insights. Replay of a trail archive that logs data events would
 * otherwise see bursts the deployed detector never could; it leaves them out and says how many.
 */
import type { TrailEvent } from '../model/types.ts';

/** The rates rule's EventPattern, exactly as deployed. */
export const RATES_RULE_PATTERN = {
  'detail-type': ['AWS API Call via CloudTrail', 'AWS Console Sign In via CloudTrail'],
  detail: { eventCategory: ['Management'] },
} as const;

/** Why an event is outside the deployed rate detector's view, or undefined when it is inside. */
export function outsideRatesScope(event: TrailEvent): 'data event' | 'not an API call or sign-in' | undefined {
  const raw = event.raw as { eventCategory?: unknown; managementEvent?: unknown };
  // Records older than eventVersion 1.08 carry no eventCategory: a data event then says managementEvent false.
  const category = typeof raw.eventCategory === 'string' ? raw.eventCategory : raw.managementEvent === false ? 'Data' : 'Management';
  if (category !== 'Management') return 'data event';
  const detailType = event.envelope?.detailType;
  const apiOrSignIn = detailType !== undefined ? (RATES_RULE_PATTERN['detail-type'] as readonly string[]).includes(detailType) : event.eventType === 'AwsApiCall' || event.eventType === 'AwsConsoleSignIn';
  return apiOrSignIn ? undefined : 'not an API call or sign-in';
}
