import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { DedupStore, dedupKey } from '../../shared/notify/dedup-store.ts';
import { startDynalite, type LocalDynamo } from './dynalite.ts';

describe('DedupStore on dynalite', () => {
  let db: LocalDynamo;
  let store: DedupStore;
  const T0 = Date.parse('2026-11-20T09:00:00Z');
  beforeAll(async () => {
    db = await startDynalite();
    await db.createTable('dedup');
    store = new DedupStore(db.client, 'dedup', { inProgressMs: 60_000, retentionMs: 86_400_000 });
  });
  afterAll(async () => db.stop());

  it('claims once; a completed key is a duplicate', async () => {
    const key = dedupKey('root-signin', 'evt-1');
    expect(await store.claim(key, T0)).toMatchObject({ status: 'claimed' });
    expect(await store.claim(key, T0 + 1)).toEqual({ status: 'duplicate' }); // in progress elsewhere
    await store.complete(key, T0 + 2, 'delivered');
    expect(await store.claim(key, T0 + 10 * 60_000)).toEqual({ status: 'duplicate' }); // completed: even after the in-progress expiry
    const item = await db.client.send(new GetItemCommand({ TableName: 'dedup', Key: { pk: { S: key } } }));
    expect(item.Item?.['status']?.S).toBe('completed');
    expect(item.Item?.['outcome']?.S).toBe('delivered');
    expect(Number(item.Item?.['ttl']?.N)).toBe(Math.ceil((T0 + 2 + 86_400_000) / 1000));
  });

  it('a crashed claim stops blocking after its expiry', async () => {
    const key = dedupKey('policy-changed', 'evt-2');
    expect(await store.claim(key, T0)).toMatchObject({ status: 'claimed' });
    expect(await store.claim(key, T0 + 59_000)).toEqual({ status: 'duplicate' });
    expect(await store.claim(key, T0 + 61_000)).toMatchObject({ status: 'claimed' });
  });

  it('release frees a claim at once, but never deletes a completed record', async () => {
    const key = dedupKey('policy-changed', 'evt-3');
    expect(await store.claim(key, T0)).toMatchObject({ status: 'claimed' });
    await store.release(key);
    expect(await store.claim(key, T0 + 1)).toMatchObject({ status: 'claimed' });
    await store.complete(key, T0 + 2, 'dead-lettered');
    await store.release(key);
    expect(await store.claim(key, T0 + 3)).toEqual({ status: 'duplicate' });
  });

  it('a released claim keeps the channels that already accepted the alert, for the retry', async () => {
    const key = dedupKey('root-signin', 'evt-sent');
    expect(await store.claim(key, T0)).toEqual({ status: 'claimed', sent: [] });
    await store.markSent(key, 'email');
    await store.release(key);
    expect(await store.claim(key, T0 + 1)).toEqual({ status: 'claimed', sent: ['email'] });
    // A claim that expired (the invocation timed out) also hands over what was sent.
    await store.markSent(key, 'slack');
    const retry = await store.claim(key, T0 + 61_000);
    expect(retry.status === 'claimed' && [...retry.sent].sort()).toEqual(['email', 'slack']);
  });

  it('concurrent claims of one key: exactly one wins', async () => {
    const key = dedupKey('root-signin', 'evt-race');
    const results = await Promise.all(Array.from({ length: 10 }, () => store.claim(key, T0)));
    expect(results.filter((r) => r.status === 'claimed')).toHaveLength(1);
  });

  it('the same event id under two detections is two alerts', async () => {
    expect(await store.claim(dedupKey('a', 'evt-4'), T0)).toMatchObject({ status: 'claimed' });
    expect(await store.claim(dedupKey('b', 'evt-4'), T0)).toMatchObject({ status: 'claimed' });
  });
});
