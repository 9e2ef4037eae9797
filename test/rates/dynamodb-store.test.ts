import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultRateConfig } from '../../shared/rates/config.ts';
import { RateDetector } from '../../shared/rates/detector.ts';
import { DynamoRateStore, toState } from '../../shared/rates/dynamodb-store.ts';
import { startRateTable } from './dynalite.ts';
import { steady } from './records.ts';

describe('DynamoDB rate store against dynalite', () => {
  let local: Awaited<ReturnType<typeof startRateTable>>;
  beforeAll(async () => {
    local = await startRateTable('rates-concurrency');
  });
  afterAll(async () => local.stop());

  it('keeps exact counts when two invocations with stale caches write the same key', async () => {
    const store = new DynamoRateStore(local.client, 'rates-concurrency');
    // Two execution environments, each with its own cache, interleaving batches of one principal.
    const a = new RateDetector(store, defaultRateConfig());
    const b = new RateDetector(store, defaultRateConfig());
    const events = steady(0, 40, 6, { user: 'shared' });
    const perMinute = new Map<number, typeof events>();
    for (const e of events) perMinute.set(Math.floor(e.timeMs / 60_000), [...(perMinute.get(Math.floor(e.timeMs / 60_000)) ?? []), e]);
    let turn = 0;
    for (const batch of perMinute.values()) {
      // Half of each minute to each environment: every write moves the version under the other's cache.
      await a.process(batch.slice(0, 3));
      await b.process(batch.slice(3));
      turn += 1;
    }
    expect(turn).toBe(40);
    expect(store.stats.conditionalFailures).toBeGreaterThan(0);
    const item = await local.client.send(new GetItemCommand({ TableName: 'rates-concurrency', Key: { pk: { S: 'p|111122223333|arn:aws:iam::111122223333:user/shared' } } }));
    const state = toState(item.Item ?? {});
    // Every call is either folded into the baseline or still an unfolded counter of exactly 6.
    for (const n of state.counts.values()) expect(n).toBe(6);
    expect(state.baseline).not.toBeNull();
    const folded = (state.baseline?.foldedThrough ?? 0) - (state.baseline?.firstMinute ?? 0) + 1;
    expect(folded + state.counts.size).toBe(40);
    expect(state.baseline?.m1).toBeGreaterThan(5);
    expect(state.baseline?.m1).toBeLessThan(7);
    expect(Number(item.Item?.['ttl']?.N)).toBeGreaterThan(Date.parse('2026-03-02T00:00:00Z') / 1000);
  });
});
