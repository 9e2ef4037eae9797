import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DigestStore, toDigest } from '../../shared/notify/digest-store.ts';
import { policyFinding } from '../alerts/fixtures.ts';
import { startDynalite, type LocalDynamo } from './dynalite.ts';

describe('DigestStore on dynalite', () => {
  let db: LocalDynamo;
  let n = 0;
  const T0 = Date.parse('2026-11-20T09:00:10Z');
  const opts = { windowMs: 60_000, graceMs: 5_000, maxSamples: 3, leaseMs: 30_000 };
  async function store(): Promise<DigestStore> {
    n += 1;
    await db.createTable(`digest${n}`);
    return new DigestStore(db.client, `digest${n}`, opts);
  }
  beforeAll(async () => {
    db = await startDynalite();
  });
  afterAll(async () => db.stop());

  it('concurrent adds count exactly, keep the first samples only, and take the max severity', async () => {
    const s = await store();
    const sev = ['low', 'medium', 'high', 'medium'] as const;
    await Promise.all(Array.from({ length: 40 }, (_, i) => s.add(policyFinding({ severity: sev[i % 4]! }, i), T0 + i * 100)));
    expect(await s.claimDue(T0 + 50_000)).toEqual([]); // window 09:00:00-09:01:00 not over (+5 s grace)
    const [group, ...rest] = await s.claimDue(Date.parse('2026-11-20T09:01:05Z'));
    expect(rest).toEqual([]);
    expect(group?.digest).toMatchObject({ detection: 'policy-changed', severity: 'high', count: 40 });
    expect(group?.digest.samples).toHaveLength(3);
    expect(group?.attempt).toBe(1);
  });

  it('separate principals and windows are separate groups', async () => {
    const s = await store();
    await s.add(policyFinding({}, 1), T0);
    await s.add(policyFinding({ principal: { type: 'IAMUser', name: 'eve', arn: 'arn:aws:iam::111122223333:user/eve' } }, 2), T0);
    await s.add(policyFinding({}, 3), T0 + 60_000); // next window
    const due = await s.claimDue(T0 + 10 * 60_000);
    expect(due.map((g) => g.digest.count).sort()).toEqual([1, 1, 1]);
  });

  it('a claimed group is leased: a second flush cannot take it until the lease expires or it is given back', async () => {
    const s = await store();
    await s.add(policyFinding({}, 1), T0);
    const later = T0 + 120_000;
    expect(await s.claimDue(later)).toHaveLength(1);
    expect(await s.claimDue(later + 1_000)).toEqual([]);
    const again = await s.claimDue(later + 31_000);
    expect(again[0]?.attempt).toBe(2);
    await s.giveBack(again[0]!.pk);
    expect(await s.claimDue(later + 31_001)).toHaveLength(1);
    await s.finish(again[0]!.pk);
    expect(await s.claimDue(later + 999_999)).toEqual([]);
  });

  it('a huge finding is stored as a slim sample (DynamoDB items are ≤ 400 KB)', async () => {
    const s = await store();
    await s.add(policyFinding({ details: { blob: 'x'.repeat(300_000) } }, 1), T0);
    const [g] = await s.claimDue(T0 + 600_000);
    expect(JSON.stringify(g?.digest.samples[0]?.details)).toContain('details dropped');
  });

  it('toDigest survives corrupt samples and missing attributes', () => {
    const d = toDigest({ pk: { S: 'x' }, samples: { L: [{ S: 'not json' }, { S: '{"a":1}' }] }, n_low: { N: '2' } });
    expect(d).toMatchObject({ detection: 'unknown', severity: 'low', count: 0, samples: [] });
  });
});
