import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoBaselineStore } from '../../shared/baseline/dynamodb-store.ts';
import { BaselineProcessor } from '../../shared/baseline/processor.ts';
import type { Finding, TrailEvent } from '../../shared/model/types.ts';
import { startWithTable } from '../helpers/dynalite.ts';
import { ACCOUNT, assumeRole, consoleLogin, DAY, record, T0, toEvent } from './records.ts';

/** A seeded fortnight: roles assumed by a few callers, people signing in, principals writing; then novelties. */
function corpus(): TrailEvent[] {
  const out: TrailEvent[] = [];
  for (let d = 0; d < 14; d++) {
    for (let h = 0; h < 24; h += 2) {
      const t = T0 + d * DAY + h * 3600_000;
      out.push(toEvent(assumeRole(t, { kind: 'role', name: 'ci' }, `arn:aws:iam::${ACCOUNT}:role/deploy`)));
      out.push(toEvent(record(t + 500, { kind: 'role', name: 'deploy' }, 'lambda.amazonaws.com', h % 4 ? 'UpdateFunctionCode20150331v2' : 'PublishVersion20150331')));
    }
    out.push(toEvent(consoleLogin(T0 + d * DAY + 8 * 3600_000, { kind: 'user', name: 'carol' }, d % 3 ? '81.2.69.160' : '2a01:4f8:c17:1::5')));
  }
  const t = T0 + 14 * DAY;
  out.push(toEvent(assumeRole(t, { kind: 'account', account: '999988887777', principalId: 'AIDAOUTSIDER00000001' }, `arn:aws:iam::${ACCOUNT}:role/deploy`)));
  out.push(toEvent(record(t + 1, { kind: 'role', name: 'deploy' }, 'kms.amazonaws.com', 'ScheduleKeyDeletion')));
  out.push(toEvent(consoleLogin(t + 2, { kind: 'user', name: 'carol' }, '185.220.101.45')));
  return out;
}

async function run(p: BaselineProcessor, events: TrailEvent[], size: number): Promise<Finding[]> {
  const out: Finding[] = [];
  for (let i = 0; i < events.length; i += size) out.push(...(await p.process(events.slice(i, i + size))));
  return out;
}

describe('baseline: the DynamoDB store (dynalite) gives the memory store\'s answers', () => {
  let db: Awaited<ReturnType<typeof startWithTable>>;
  beforeAll(async () => {
    db = await startWithTable('rates');
  }, 120_000);
  afterAll(async () => db?.stop());

  it('same findings, batch by batch, and a fresh environment (empty cache) answers the same', async () => {
    const events = corpus();
    const memory = await run(new BaselineProcessor(), events, 50);
    expect(memory.map((f) => f.detection)).toEqual(['new-api-for-principal', 'signin-from-new-location', 'unusual-role-assumption']); // one second: by detection id
    const dynamo = new BaselineProcessor(new DynamoBaselineStore(db.client, 'rates'));
    expect(await run(dynamo, events, 50)).toEqual(memory);
    // Most events needed no write: a learned profile changes at most once a day per value.
    expect(dynamo.store.stats.writes).toBeLessThan(events.length / 3);
    // A second environment (cold cache) sees the stored history: the novelties are known now,
    // except that redelivering the very same events reports them again under the same ids.
    const other = new BaselineProcessor(new DynamoBaselineStore(db.client, 'rates'));
    expect((await other.process(events.slice(-3))).map((f) => f.eventId)).toEqual(memory.map((f) => f.eventId));
  }, 120_000);

  it('two environments racing on one profile report a new value once (conditional write, re-read)', async () => {
    const a = new BaselineProcessor(new DynamoBaselineStore(db.client, 'rates'));
    const b = new BaselineProcessor(new DynamoBaselineStore(db.client, 'rates'));
    const role = `arn:aws:iam::${ACCOUNT}:role/race`;
    const history = Array.from({ length: 12 }, (_, d) => toEvent(assumeRole(T0 + d * DAY, { kind: 'role', name: 'ci' }, role)));
    await a.process(history);
    await b.process(history.slice(0, 1)); // b caches the profile as it is now
    const t = T0 + 13 * DAY;
    const [fa, fb] = await Promise.all([
      a.process([toEvent(assumeRole(t, { kind: 'user', name: 'mallory' }, role))]),
      b.process([toEvent(assumeRole(t + 1, { kind: 'user', name: 'mallory' }, role))]),
    ]);
    expect(fa.length + fb.length).toBe(1);
  }, 120_000);
});
