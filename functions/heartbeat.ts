/**
 * Lambda: records a member forwarder's heartbeat (organization mode, docs/organization.md
 * "Heartbeat"). The central bus's `CentralHeartbeatRule` invokes it asynchronously with each
 * forwarded "Scheduled Event"; it makes ONE conditional DynamoDB UpdateItem: last-seen of
 * (account, region) moves forward, never back. It sends nothing and judges nothing: the scheduled
 * check (functions/heartbeat-check.ts) does. Its bundle holds only the DynamoDB client.
 *
 * A malformed event is logged and dropped (a retry cannot fix it). A DynamoDB failure throws, so
 * Lambda retries and then parks the event in the on-failure queue.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { parseHeartbeat } from '../shared/heartbeat/beat.ts';
import { DynamoHeartbeatStore } from '../shared/heartbeat/dynamodb-store.ts';
import type { HeartbeatStore } from '../shared/heartbeat/store.ts';
import { type Log, createLambdaLogger } from '../shared/log.ts';

export interface RecordDependencies {
  store: HeartbeatStore;
  log: Log;
  now?: () => number;
}

export type RecordResult = { recorded: boolean; account?: string; region?: string; skipped?: string };

/** Builds the recorder from its dependencies (tests inject a store). */
export function createRecordHandler(deps: RecordDependencies): (event: unknown) => Promise<RecordResult> {
  const now = deps.now ?? Date.now;
  return async (event) => {
    const parsed = parseHeartbeat(event);
    if (!parsed.ok) {
      deps.log.warn('heartbeat skipped', { reason: parsed.reason });
      return { recorded: false, skipped: parsed.reason };
    }
    const { account, region } = parsed.beat;
    // A member clock cannot push last-seen into the future (which would hide a later silence).
    const timeMs = Math.min(parsed.beat.timeMs, now());
    const recorded = await deps.store.record(account, region, timeMs);
    deps.log.debug('heartbeat', { account, region, time: new Date(timeMs).toISOString(), recorded });
    return { recorded, account, region };
  };
}

let production: ((event: unknown) => Promise<RecordResult>) | undefined;

/** The Lambda entry point (`functions/heartbeat.handler`). */
export async function handler(event: unknown): Promise<RecordResult> {
  if (!production) {
    const table = process.env['TRAILWATCH_HEARTBEAT_TABLE'];
    if (!table) throw new Error('TRAILWATCH_HEARTBEAT_TABLE is not set');
    production = createRecordHandler({ store: new DynamoHeartbeatStore(new DynamoDBClient({}), table), log: createLambdaLogger() });
  }
  return production(event);
}
