import { join } from 'node:path';
import { EVENTS_DIR, readJson } from './events.ts';

/** JSON text of `{"a":{"a":…"x"…}}` nested `depth` levels, built without recursion (as an attacker would send it). */
export function deepJsonText(depth: number): string {
  return `${'{"a":'.repeat(depth)}"x"${'}'.repeat(depth)}`;
}

/** The same as a parsed object: `JSON.parse` is not recursive in V8, so this works at any depth. */
export function deepObject(depth: number): Record<string, unknown> {
  return JSON.parse(deepJsonText(depth)) as Record<string, unknown>;
}

/** A sample envelope from `events/`, as a mutable copy. */
export function sample(folder: string, name: string): Record<string, unknown> & { detail: Record<string, unknown> } {
  return readJson(join(EVENTS_DIR, folder, `${name}.json`)) as Record<string, unknown> & { detail: Record<string, unknown> };
}

/**
 * An inline-policy put whose document nests `depth` levels deep inside a Condition (the policy
 * seen in the wild, ~5,000 levels), with its own eventID.
 */
export function deepPolicyEvent(depth: number, eventId: string): Record<string, unknown> {
  const event = sample('policy-changed', 'positive-put-role-policy-admin');
  const detail = event.detail;
  detail['eventID'] = eventId;
  (detail['requestParameters'] as Record<string, unknown>)['policyDocument'] =
    `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Condition":${deepJsonText(depth)}}]}`;
  return event;
}

/**
 * A bucket-policy put whose (already parsed, as S3 logs it) policy nests `depth` levels deep, as
 * JSON text (built with a placeholder, so nothing recursive touches the deep part).
 */
export function deepBucketPolicyText(depth: number, eventId: string): string {
  const event = sample('policy-changed', 'positive-bucket-policy-public');
  event.detail['eventID'] = eventId;
  const policy = (event.detail['requestParameters'] as Record<string, Record<string, Array<Record<string, unknown>>>>)['bucketPolicy'];
  (policy?.['Statement']?.[0] as Record<string, unknown>)['Condition'] = '__DEEP__';
  return JSON.stringify(event).replace('"__DEEP__"', deepJsonText(depth));
}
