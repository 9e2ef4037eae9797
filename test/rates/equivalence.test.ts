import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { normalize } from '../../shared/model/normalize.ts';
import type { Finding, TrailEvent } from '../../shared/model/types.ts';
import { defaultRateConfig, type RateConfig } from '../../shared/rates/config.ts';
import { RateDetector } from '../../shared/rates/detector.ts';
import { MemoryRateStore, writesOnly } from '../../shared/rates/store.ts';
import { EVENTS_DIR, EXTERNAL_DIR, hasExternal } from '../helpers/events.ts';
import { rng } from '../helpers/rng.ts';
import { record, T0, MIN } from './records.ts';
import { RateDetector as ReferenceDetector } from './reference/detector.ts';
import { MemoryRateStore as ReferenceStore } from './reference/store.ts';
import { diurnal, poisson } from './synthetic.ts';

/**
 * The optimised detector (interned keys, lazy breakdowns, fused folds, unscored quiet minutes)
 * against the implementation it replaced (test/rates/reference/, main before the rewrite): same
 * findings, same counters, same store writes and the same learned state for every key, on seeded
 * corpora with bursts, error bursts, a daily job, duplicates, shuffled and late events.
 */

interface Corpus {
  /** SQS-like batches in arrival order. */
  batches: TrailEvent[][];
  events: number;
}

/** A seeded day (or more) of realistic traffic: diurnal Poisson background plus injected incidents. */
function corpus(seed: number, principals: number, minutes: number): Corpus {
  const random = rng(seed);
  const arrivals: Array<{ at: number; event: TrailEvent }> = [];
  const apis = [['ec2.amazonaws.com', 'DescribeInstances'], ['s3.amazonaws.com', 'ListBuckets'], ['iam.amazonaws.com', 'ListRoles'], ['sts.amazonaws.com', 'GetCallerIdentity'], ['secretsmanager.amazonaws.com', 'GetSecretValue'], ['kms.amazonaws.com', 'Decrypt']] as const;
  const actors = Array.from({ length: principals }, (_, i) => ({
    user: i % 3 === 2 ? undefined : `user${i}`,
    role: i % 3 === 2 ? `role${i}` : undefined,
    accessKeyId: i % 3 === 2 ? undefined : `AKIAEQUIV${String(i).padStart(11, '0')}`,
    account: i % 5 === 0 ? '444455556666' : '111122223333',
    mean: Math.exp(Math.log(0.03) + random() * (Math.log(6) - Math.log(0.03))),
    phase: Math.floor(random() * 1440),
    job: random() < 0.15 ? Math.floor(random() * 1440) : undefined,
  }));
  // Incidents: [actor, start minute, length, calls per minute, error code?]
  const incidents: Array<[number, number, number, number, string | undefined]> = [];
  for (let k = 0; k < Math.max(3, Math.floor(principals / 6)); k += 1) {
    const who = Math.floor(random() * principals);
    const start = 180 + Math.floor(random() * (minutes - 240));
    const kind = random();
    incidents.push([who, start, 2 + Math.floor(random() * 8), kind < 0.3 ? 40 + Math.floor(random() * 200) : 150 + Math.floor(random() * 500), kind < 0.3 ? (random() < 0.5 ? 'AccessDenied' : 'Client.UnauthorizedOperation') : undefined]);
  }
  // Account-wide API bursts: many principals at once on one API (the api dimension, none dominant).
  const wide: Array<[number, number]> = [[300 + Math.floor(random() * 300), 4], [minutes - 200, 3]];
  const emit = (a: (typeof actors)[number], minute: number, n: number, errorCode?: string, ip?: string, api?: readonly [string, string]): void => {
    for (let i = 0; i < n; i += 1) {
      const [eventSource, eventName] = api ?? (apis[Math.floor(random() * apis.length)] as readonly [string, string]);
      const time = T0 + minute * MIN + Math.floor(random() * MIN);
      const opts: Parameters<typeof record>[0] = { time, eventSource, eventName, account: a.account, ip: ip ?? `198.51.100.${1 + Math.floor(random() * 4)}` };
      if (a.user) opts.user = a.user;
      if (a.role) opts.role = a.role;
      if (a.accessKeyId) opts.accessKeyId = a.accessKeyId;
      if (errorCode) opts.errorCode = errorCode;
      else if (random() < 0.01) opts.errorCode = 'AccessDenied';
      const r = normalize(record(opts));
      if (!r.ok) continue;
      // Delivery: usually within a minute; 0.5% late by 3-15 minutes (beyond the lateness window too).
      const delay = random() < 0.005 ? (3 + Math.floor(random() * 13)) * MIN : Math.floor(random() * 50_000);
      arrivals.push({ at: time + delay, event: r.event });
      if (random() < 0.01) arrivals.push({ at: time + delay + 20_000, event: r.event }); // at-least-once redelivery
    }
  };
  for (let m = 0; m < minutes; m += 1) {
    for (const a of actors) {
      let mean = a.mean * diurnal(m % 1440, a.phase);
      if (a.job !== undefined && (m % 1440) - a.job >= 0 && (m % 1440) - a.job < 10) mean *= 20;
      emit(a, m, poisson(random, mean));
    }
    for (const [who, start, length, perMinute, errorCode] of incidents) if (m >= start && m < start + length) emit(actors[who] as (typeof actors)[number], m, perMinute, errorCode, '203.0.113.66');
    for (const [start, length] of wide) if (m >= start && m < start + length) for (const a of actors) if (a.account === '111122223333') emit(a, m, 25, undefined, undefined, ['secretsmanager.amazonaws.com', 'ListSecrets']);
  }
  arrivals.sort((x, y) => x.at - y.at);
  const batches: TrailEvent[][] = [];
  let current: TrailEvent[] = [];
  let windowEnd = Number.NEGATIVE_INFINITY;
  for (const { at, event } of arrivals) {
    if (at >= windowEnd || current.length >= 2_000) {
      if (current.length > 0) batches.push(current);
      current = [];
      windowEnd = at + 30_000;
    }
    current.push(event);
  }
  if (current.length > 0) batches.push(current);
  return { batches, events: arrivals.length };
}

interface Outcome {
  findings: Finding[];
  stats: unknown;
  writes: number;
  conditionalFailures: number;
  states: Map<string, unknown>;
  /** Items the in-memory store dropped by TTL (0 for the reference store). */
  expired: number;
}

type AnyStore = { apply(w: Array<{ keyId: string; adds: Map<number, number>; ttl: number }>): Promise<Map<string, unknown> | unknown[]>; stats: { writes: number; conditionalFailures: number } };

/**
 * `optimised`: the detector on the in-memory store's live state (replay's path); `write-path`: the
 * same detector on the same store reached only through `apply`/`saveBurst` (one KeyWrite per key per
 * batch, versioned folds: the path it takes against DynamoDB in Lambda).
 */
async function run(kind: 'reference' | 'optimised' | 'write-path', batches: readonly TrailEvent[][], config: RateConfig, options: { cacheSize?: number } = {}): Promise<Outcome> {
  const store = kind === 'reference' ? new ReferenceStore() : new MemoryRateStore(config.ttlDays * 86_400);
  const detector =
    kind === 'reference' ? new ReferenceDetector(store as ReferenceStore, config, options) : new RateDetector(kind === 'write-path' ? writesOnly(store as MemoryRateStore) : (store as MemoryRateStore), config, options);
  const findings: Finding[] = [];
  for (let i = 0; i < batches.length; i += 1) {
    findings.push(...(await detector.process(batches[i] as TrailEvent[])).findings);
    // The in-memory stores never wait for I/O: give the event loop a turn now and then, or the test
    // worker misses its own RPC deadline on a loaded machine.
    if (i % 50 === 49) await new Promise((resolve) => setImmediate(resolve));
  }
  const s = store as unknown as AnyStore;
  const { writes, conditionalFailures } = s.stats;
  // Every key's learned state, read back through the store's own interface (an empty ADD).
  const ids = [...(store as unknown as { items: Map<string, unknown> }).items.keys()].sort();
  const states = await s.apply(ids.map((keyId) => ({ keyId, adds: new Map(), ttl: 0 })));
  // The reference store answers with a Map by key id, the optimised one with an array in write order.
  const byId = states instanceof Map ? [...states] : ids.map((id, i) => [id, states[i]] as [string, unknown]);
  const expired = store instanceof MemoryRateStore ? store.expired : 0;
  return { findings, stats: { ...detector.stats }, writes, conditionalFailures, states: new Map(byId.sort(([a], [b]) => a.localeCompare(b))), expired };
}

/** A state without its version (which counts writes: an evicted key's fold costs a second one). */
function unversioned(states: Map<string, unknown>): Map<string, unknown> {
  return new Map([...states].map(([id, s]) => [id, { ...(s as object), version: undefined }]));
}

async function expectSame(batches: readonly TrailEvent[][], config: RateConfig, options: { cacheSize?: number } = {}, compareWrites = true, kinds: ['reference' | 'write-path', 'optimised' | 'write-path'] = ['reference', 'optimised']): Promise<Outcome> {
  const before = await run(kinds[0], batches, config, options);
  const after = await run(kinds[1], batches, config, options);
  expect(after.findings).toEqual(before.findings);
  expect(after.stats).toEqual(before.stats);
  if (compareWrites) {
    expect(after.states).toEqual(before.states);
    expect([after.writes, after.conditionalFailures]).toEqual([before.writes, before.conditionalFailures]);
  } else {
    expect(unversioned(after.states)).toEqual(unversioned(before.states));
  }
  return after;
}

describe('optimised rate detector = the implementation it replaced', () => {
  it('on a seeded day of 40 principals with bursts, error bursts, daily jobs, duplicates and late events', async () => {
    const { batches, events } = corpus(7, 40, 1440);
    const out = await expectSame(batches, defaultRateConfig());
    // The corpus is not trivial: it raises findings of every dimension that alerts, and late minutes.
    expect(events).toBeGreaterThan(50_000);
    expect(new Set(out.findings.map((f) => f.details['dimension']))).toEqual(new Set(['principal', 'errors', 'api']));
    expect(out.findings.some((f) => f.details['reason'] !== 'new')).toBe(true);
    expect((out.stats as { lateKeyMinutes: number; duplicates: number }).lateKeyMinutes).toBeGreaterThan(0);
    expect((out.stats as { duplicates: number }).duplicates).toBeGreaterThan(0);
  }, 240_000);

  it('at high sensitivity with a tiny cache (evictions: same findings and state, only the write count may differ)', async () => {
    const { batches } = corpus(11, 24, 600);
    const out = await expectSame(batches, defaultRateConfig('high'), { cacheSize: 20 }, false);
    expect(out.findings.length).toBeGreaterThan(0);
  }, 240_000);

  it('on events/traffic/traffic.jsonl and, when present, the Invictus log set', async () => {
    const load = (records: unknown[]): TrailEvent[][] => {
      const events = records.flatMap((r) => {
        const n = normalize(r);
        return n.ok ? [n.event] : [];
      });
      events.sort((a, b) => a.timeMs - b.timeMs);
      const batches: TrailEvent[][] = [];
      for (let i = 0; i < events.length; i += 400) batches.push(events.slice(i, i + 400));
      return batches;
    };
    const traffic = readFileSync(join(EVENTS_DIR, 'traffic', 'traffic.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as unknown);
    expect((await expectSame(load(traffic), defaultRateConfig())).findings.length).toBe(2);
    if (hasExternal('invictus')) {
      const dir = join(EXTERNAL_DIR, 'invictus');
      const records: unknown[] = [];
      for (const f of readdirSync(dir, { recursive: true }) as string[]) if (f.endsWith('.json')) records.push(...((JSON.parse(readFileSync(join(dir, f), 'utf8')) as { Records?: unknown[] }).Records ?? []));
      expect((await expectSame(load(records), defaultRateConfig())).findings.length).toBeGreaterThan(0);
    }
  }, 120_000);
});

describe('live in-process state = the per-key-per-batch write path (what DynamoDB gets), same detector', () => {
  it('on a seeded day of 60 principals: same findings, counters, writes and learned state', async () => {
    const { batches } = corpus(23, 60, 1440);
    const out = await expectSame(batches, defaultRateConfig(), {}, true, ['write-path', 'optimised']);
    expect(new Set(out.findings.map((f) => f.details['dimension']))).toEqual(new Set(['principal', 'errors', 'api']));
    expect((out.stats as { lateKeyMinutes: number }).lateKeyMinutes).toBeGreaterThan(0);
  }, 240_000);

  it('with a tiny cache (the write path then folds with follow-up writes; the live path never needs them)', async () => {
    const { batches } = corpus(11, 24, 600);
    const writePath = await run('write-path', batches, defaultRateConfig('high'), { cacheSize: 20 });
    const live = await run('optimised', batches, defaultRateConfig('high'), { cacheSize: 20 });
    expect(live.findings).toEqual(writePath.findings);
    expect(live.stats).toEqual(writePath.stats);
    expect(unversioned(live.states)).toEqual(unversioned(writePath.states));
    expect(live.findings.length).toBeGreaterThan(0);
    // Evicted keys cost the write path a second write to fold; the live item is never stale.
    expect(live.writes).toBeLessThan(writePath.writes);
  }, 240_000);

  it('when keys expire by TTL between batches (a quiet fortnight), as DynamoDB would drop them', async () => {
    const day1 = corpus(5, 12, 300).batches;
    const later = corpus(6, 12, 300).batches.map((b) => b.map((e) => ({ ...e, timeMs: e.timeMs + 20 * 86_400_000, time: new Date(e.timeMs + 20 * 86_400_000).toISOString() })));
    const out = await expectSame([...day1, ...later], defaultRateConfig(), {}, false, ['write-path', 'optimised']);
    expect(out.findings.length).toBeGreaterThan(0);
    expect(out.expired).toBeGreaterThan(0);
  }, 240_000);
});
