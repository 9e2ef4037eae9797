import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Finding, TrailEvent } from '../../shared/model/types.ts';
import { defaultRateConfig } from '../../shared/rates/config.ts';
import { RateDetector } from '../../shared/rates/detector.ts';
import { DynamoRateStore } from '../../shared/rates/dynamodb-store.ts';
import { MemoryRateStore, type RateStore } from '../../shared/rates/store.ts';
import { startRateTable } from './dynalite.ts';
import { event, MIN, steady, T0 } from './records.ts';

/** Feeds events minute by minute (as the SQS batching window would) and collects findings. */
async function run(detector: RateDetector, events: TrailEvent[], batchMinutes = 1): Promise<Finding[]> {
  const byBatch = new Map<number, TrailEvent[]>();
  for (const e of events) {
    const b = Math.floor((e.timeMs - T0) / (batchMinutes * MIN));
    byBatch.set(b, [...(byBatch.get(b) ?? []), e]);
  }
  const findings: Finding[] = [];
  for (const b of [...byBatch.keys()].sort((x, y) => x - y)) findings.push(...(await detector.process(byBatch.get(b) ?? [])).findings);
  return findings;
}

/** Three hours of history at 5/min, a 3-minute burst at 200/min, calm, then a second burst an hour later. */
function scenario(): TrailEvent[] {
  return [
    ...steady(0, 180, 5),
    ...steady(180, 183, 200, { eventName: 'ListSecrets', eventSource: 'secretsmanager.amazonaws.com', ip: '203.0.113.66' }),
    ...steady(183, 250, 5),
    ...steady(250, 252, 200, { eventName: 'GetSecretValue', eventSource: 'secretsmanager.amazonaws.com', ip: '203.0.113.66' }),
  ];
}

const stores: Array<[string, () => Promise<{ store: RateStore; stop(): Promise<void> }>]> = [
  ['memory', async () => ({ store: new MemoryRateStore(), stop: async () => {} })],
  [
    'DynamoDB (dynalite)',
    async () => {
      const local = await startRateTable('rates');
      return { store: new DynamoRateStore(local.client, 'rates'), stop: local.stop };
    },
  ],
];

for (const [name, make] of stores) {
  describe(`rate detector with the ${name} store`, () => {
    let store: RateStore;
    let stop: () => Promise<void>;
    beforeAll(async () => {
      ({ store, stop } = await make());
    });
    afterAll(async () => stop());

    it('raises one finding per burst, on the principal, with the burst facts', async () => {
      const detector = new RateDetector(store, defaultRateConfig());
      const findings = await run(detector, scenario());
      expect(findings.map((f) => [f.detection, f.details['dimension'], f.details['reason']])).toEqual([
        ['api-rate-anomaly', 'principal', 'new'],
        ['api-rate-anomaly', 'principal', 'new'],
      ]);
      const [first, second] = findings as [Finding, Finding];
      expect(first.principal.arn).toBe('arn:aws:iam::111122223333:user/alice');
      expect(first.details['observed']).toBe(200);
      expect(first.details['topEventNames']).toEqual([{ value: 'secretsmanager.amazonaws.com:ListSecrets', count: 200 }]);
      expect(first.details['topSourceIps']).toEqual([{ value: '203.0.113.66', count: 200 }]);
      expect((first.details['baseline'] as { expectedPerMinute: number }).expectedPerMinute).toBeCloseTo(5, 0);
      expect(first.details['firstEventTime']).toBe(new Date(T0 + 180 * MIN).toISOString()); // CloudTrail times have whole seconds
      expect(first.eventId).toMatch(/^rate-[0-9a-f]{32}$/);
      expect(second.eventId).not.toBe(first.eventId);
      expect(first.runbook).toBeTruthy();
      // Access-key and API findings for the same burst are folded into the principal's.
      expect(detector.stats.suppressed).toBeGreaterThan(0);
    });
  });
}

describe('rate detector semantics (memory store)', () => {
  const fresh = () => new RateDetector(new MemoryRateStore(), defaultRateConfig());

  it('does not alert on a quiet principal doing 4 calls instead of 1', async () => {
    const findings = await run(fresh(), [...steady(0, 200, 1), ...steady(200, 230, 4)]);
    expect(findings).toEqual([]);
  });

  it('alerts on a never-seen principal only above the new-principal threshold', async () => {
    expect(await run(fresh(), steady(0, 3, 250, { user: 'new-user' }))).toEqual([]);
    const findings = await run(fresh(), steady(0, 2, 400, { user: 'new-user' }));
    expect(findings).toHaveLength(1);
    expect((findings[0] as Finding).details['baseline']).toMatchObject({ basis: 'new' });
  });

  it('keys assumed-role sessions by their role, so a new session is not a new principal', async () => {
    const d = fresh();
    await run(d, steady(0, 150, 5, { role: 'ci-deployer' }));
    const findings = await run(d, steady(150, 151, 200, { role: 'ci-deployer' }));
    expect(findings).toHaveLength(1);
    expect((findings[0] as Finding).details['key']).toBe('arn:aws:iam::111122223333:role/ci-deployer');
  });

  it('re-alerts within a burst only when it grows markedly', async () => {
    const d = fresh();
    const findings = await run(d, [...steady(0, 150, 2), ...steady(150, 153, 60), ...steady(153, 155, 100), ...steady(155, 157, 400)]);
    // 60/min opens it (medium); 100/min is neither 3x more nor a higher severity (the burst raised the
    // mean a little); 400/min is both, and the finding says the burst is now high.
    expect(findings.map((f) => f.details['reason'])).toEqual(['new', 'escalated']);
    expect(findings.map((f) => f.severity)).toEqual(['medium', 'high']);
    expect(findings[1]?.details['burstId']).toBe(findings[0]?.details['burstId']);
  });

  it('raises api-error-rate-anomaly for an AccessDenied burst with the CIS references', async () => {
    const errors = steady(150, 151, 40, { user: 'bob', accessKeyId: 'AKIAEXAMPLEBOB000001', eventName: 'ListUsers', eventSource: 'iam.amazonaws.com', errorCode: 'AccessDenied' });
    const ec2 = steady(151, 152, 20, { user: 'bob', accessKeyId: 'AKIAEXAMPLEBOB000001', errorCode: 'Client.UnauthorizedOperation' });
    const findings = await run(fresh(), [...steady(0, 150, 3, { user: 'bob', accessKeyId: 'AKIAEXAMPLEBOB000001' }), ...errors, ...ec2]);
    const errorFindings = findings.filter((f) => f.detection === 'api-error-rate-anomaly');
    expect(errorFindings).toHaveLength(1);
    expect(errorFindings[0]?.references?.securityHub).toContain('CloudWatch.2');
    expect(errorFindings[0]?.details['topEventNames']).toEqual([{ value: 'iam.amazonaws.com:ListUsers', count: 40 }]);
  });

  it('does not count errors that are not authorization failures', async () => {
    const findings = await run(fresh(), steady(0, 3, 50, { user: 'carol', errorCode: 'ThrottlingException' }));
    expect(findings.filter((f) => f.detection === 'api-error-rate-anomaly')).toEqual([]);
  });

  it('drops duplicate deliveries by eventID and says so', async () => {
    const d = fresh();
    const once = steady(0, 1, 10);
    const result = await d.process([...once, ...once]);
    expect(result.skips).toHaveLength(10);
    expect(result.skips[0]?.reason).toMatch(/duplicate/);
    expect(d.stats.counted).toBe(10);
    const again = await d.process(once); // redelivered in a later batch
    expect(again.skips).toHaveLength(10);
  });

  it('skips events with an unusable eventTime or from a skewed clock, with a reason', async () => {
    const d = fresh();
    const good = event({ time: T0 });
    const broken = { ...event({ time: T0 }), timeMs: Number.NaN, id: 'no-time' };
    const future = event({ time: T0 + 60 * MIN });
    const result = await d.process([good, broken, future], () => T0);
    expect(result.skips.map((s) => s.reason)).toEqual([expect.stringMatching(/no usable eventTime/), expect.stringMatching(/clock skew/)]);
    expect(d.stats.counted).toBe(1);
  });

  it('counts out-of-order events within the lateness window into their own minute', async () => {
    const store = new MemoryRateStore();
    const d = new RateDetector(store, defaultRateConfig());
    await d.process(steady(10, 11, 5));
    await d.process(steady(5, 6, 3)); // five minutes late
    const [state] = await store.apply([{ keyId: 'p|111122223333|arn:aws:iam::111122223333:user/alice', adds: new Map(), ttl: 0 }]);
    expect(state?.counts.get(Math.floor((T0 + 5 * MIN) / MIN))).toBe(3);
    expect(state?.counts.get(Math.floor((T0 + 10 * MIN) / MIN))).toBe(5);
  });

  it('gives the same findings whatever the batch size (event time, not arrival, decides)', async () => {
    const a = await run(fresh(), scenario(), 1);
    const b = await run(fresh(), scenario(), 3);
    expect(b.map((f) => f.eventId)).toEqual(a.map((f) => f.eventId));
  });
});
