import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoMfaStore } from '../../shared/mfa/dynamodb-store.ts';
import { MfaReplacementProcessor } from '../../shared/mfa/replacement.ts';
import { MemoryMfaStore, type MfaStore } from '../../shared/mfa/store.ts';
import { detect as mfaDetect } from '../../shared/detections/mfa-deactivated.ts';

const newMemoryProcessor = () => new MfaReplacementProcessor(new MemoryMfaStore());
import { startRateTable } from '../rates/dynalite.ts';
import { normalize } from '../../shared/model/normalize.ts';
import type { TrailEvent } from '../../shared/model/types.ts';

const ACCOUNT = '210987654321';
const T0 = Date.parse('2026-11-03T10:00:00Z');
let seq = 0;

function iam(name: string, minute: number, rp: Record<string, unknown>, caller = 'finance-reports'): TrailEvent {
  seq += 1;
  const r = normalize({
    eventVersion: '1.09',
    userIdentity: { type: 'IAMUser', principalId: `AIDA${caller.toUpperCase().replace(/[^A-Z]/g, '')}`, arn: `arn:aws:iam::${ACCOUNT}:user/${caller}`, accountId: ACCOUNT, userName: caller, accessKeyId: 'ASIAZ7QEXAMPLECONSOL' },
    eventTime: new Date(T0 + minute * 60_000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    eventSource: 'iam.amazonaws.com',
    eventName: name,
    awsRegion: 'us-east-1',
    sourceIPAddress: '198.51.100.73',
    userAgent: 'Mozilla/5.0',
    requestParameters: rp,
    responseElements: null,
    eventID: `6f1c2d3e-0000-4000-8000-${String(seq).padStart(12, '0')}`,
    readOnly: false,
    eventType: 'AwsApiCall',
    managementEvent: true,
    recipientAccountId: ACCOUNT,
    eventCategory: 'Management',
  });
  if (!r.ok) throw new Error(r.skip.reason);
  return r.event;
}

const serial = `arn:aws:iam::${ACCOUNT}:mfa/finance-reports`;
const removal = (minute: number, caller?: string) => [
  iam('DeactivateMFADevice', minute, { userName: 'finance-reports', serialNumber: serial }, caller),
  iam('DeleteVirtualMFADevice', minute, { serialNumber: serial }, caller),
];
const replacement = (minute: number, caller?: string) => [
  iam('CreateVirtualMFADevice', minute, { virtualMFADeviceName: 'finance-reports', path: '/' }, caller),
  iam('EnableMFADevice', minute, { userName: 'finance-reports', serialNumber: serial }, caller),
];
const later = (minute: number) => iam('ListUsers', minute, {});

const stores: Array<[string, () => Promise<{ make(): MfaStore; stop(): Promise<void> }>]> = [
  ['memory', async () => ({ make: () => new MemoryMfaStore(), stop: async () => {} })],
  [
    'DynamoDB (dynalite)',
    async () => {
      // Every test resolves what it opens (replaced, expired or flushed), so they can share the one item.
      const local = await startRateTable('rates');
      return { make: () => new DynamoMfaStore(local.client, 'rates'), stop: local.stop };
    },
  ],
];

for (const [storeName, open] of stores) describe(`MFA replacement (${storeName} store): an MFA device replaced is not MFA removed`, () => {
  let env: { make(): MfaStore; stop(): Promise<void> };
  beforeAll(async () => {
    env = await open();
  });
  afterAll(async () => env.stop());
  const newProcessor = () => new MfaReplacementProcessor(env.make());

  it('does not page when the same user enables a new device minutes later', async () => {
    const p = newProcessor();
    const findings = [...(await p.process([...removal(0), ...replacement(6), later(60)])), ...(await p.flush())];
    expect(findings).toEqual([]);
    expect(p.stats).toEqual({ removals: 1, replaced: 1, notReplaced: 0 });
  });

  it('pages once, high and inherently risky, when no new device follows within the window', async () => {
    const p = newProcessor();
    const events = [...removal(0), later(14)];
    expect(await p.process(events)).toEqual([]);
    const [f, ...rest] = await p.process([later(16)]);
    expect(rest).toEqual([]);
    expect(f).toMatchObject({ detection: 'mfa-deactivated', severity: 'high', account: ACCOUNT, details: { userName: 'finance-reports', firstEventId: events[0]?.id } });
    expect(f?.inherentRisk).toMatch(/not replaced/);
    expect(f?.eventId).toBe(`${events[0]?.id}-not-replaced`);
  });

  it('still pages when the new device comes too late or from someone else', async () => {
    const tooLate = newProcessor();
    const a = [...(await tooLate.process([...removal(0), ...replacement(20)])), ...(await tooLate.flush())];
    expect(a.map((f) => f.severity)).toEqual(['high']);
    const other = newProcessor();
    const b = [...(await other.process([...removal(0), ...replacement(3, 'someone-else')])), ...(await other.flush())];
    expect(b.map((f) => f.severity)).toEqual(['high']);
  });

  it('pages at the end of a replay for a removal still waiting', async () => {
    const p = newProcessor();
    expect(await p.process(removal(0))).toEqual([]);
    expect((await p.flush()).map((f) => f.detection)).toEqual(['mfa-deactivated']);
  });

  it('counts a delete of a differently named device as part of the pending removal that deactivated it', async () => {
    const p = newProcessor();
    const other = `arn:aws:iam::${ACCOUNT}:mfa/phone-2024`;
    const events = [
      iam('DeactivateMFADevice', 0, { userName: 'finance-reports', serialNumber: other }),
      iam('DeleteVirtualMFADevice', 1, { serialNumber: other }),
      ...replacement(5),
      later(40),
    ];
    expect([...(await p.process(events)), ...(await p.flush())]).toEqual([]);
    expect(p.stats).toEqual({ removals: 1, replaced: 1, notReplaced: 0 });
  });

  it('the wall-clock sweep pages a removal no later event settles, and only once its deadline passed', async () => {
    const p = newProcessor();
    const events = removal(0);
    expect(await p.process(events)).toEqual([]);
    // No further CloudTrail event at all: the sweep is what pages.
    expect(await p.sweep(T0 + 14 * 60_000)).toEqual([]);
    const swept = await p.sweep(T0 + 15 * 60_000);
    expect(swept.map((f) => [f.severity, f.eventId])).toEqual([['high', `${events[0]?.id}-not-replaced`]]);
    expect(await p.sweep(T0 + 60 * 60_000)).toEqual([]);
    expect(await p.flush()).toEqual([]);
  });

  it('with a lateness allowance, a new device delivered after later events of the stream still counts', async () => {
    const p = new MfaReplacementProcessor(env.make(), { latenessMinutes: 5 });
    expect(await p.process([...removal(0), later(18)])).toEqual([]);
    // The EnableMFADevice (minute 10) arrives in the next batch, after an event of minute 18.
    expect(await p.process(replacement(10))).toEqual([]);
    expect(await p.process([later(40)])).toEqual([]);
    expect(p.stats).toEqual({ removals: 1, replaced: 1, notReplaced: 0 });
    // Without the allowance the minute-18 event would have settled it as not replaced.
    const strict = newProcessor();
    expect((await strict.process([...removal(0), later(18)])).map((f) => f.severity)).toEqual(['high']);
  });

  it('deployed (settle after delivery): a page whose delivery failed is reported again, a delivered one never', async () => {
    const p = new MfaReplacementProcessor(env.make(), { settleAfterDelivery: true });
    const events = removal(0);
    await p.process(events);
    const first = await p.process([later(16)]);
    expect(first.map((f) => f.eventId)).toEqual([`${events[0]?.id}-not-replaced`]);
    // Reported but not settled: the same invocation does not report it twice.
    expect(await p.sweep(T0 + 20 * 60_000)).toEqual([]);
    p.abandon(); // delivery failed: the batch is redelivered
    const again = await p.process([later(16)]);
    expect(again.map((f) => f.eventId)).toEqual([`${events[0]?.id}-not-replaced`]);
    await p.settle(); // delivered
    expect(await p.process([later(17)])).toEqual([]);
    expect(await p.sweep(T0 + 60 * 60_000)).toEqual([]);
    expect(await p.pending()).toEqual([]);
  });

  it('settling an old removal leaves a newer removal of the same user pending', async () => {
    const p = new MfaReplacementProcessor(env.make(), { settleAfterDelivery: true });
    const first = removal(0);
    const out = await p.process([...first, ...removal(30)]);
    expect(out.map((f) => f.eventId)).toEqual([`${first[0]?.id}-not-replaced`]);
    await p.settle();
    expect((await p.pending()).map((x) => x.timeMs)).toEqual([T0 + 30 * 60_000]);
    expect((await p.flush()).map((f) => f.severity)).toEqual(['high']);
    await p.settle();
    expect(await p.pending()).toEqual([]);
  });

  it('deployed: a new removal of the same user in the batch that expired the old one cannot swallow the old page if delivery fails', async () => {
    const p = new MfaReplacementProcessor(env.make(), { settleAfterDelivery: true });
    const first = removal(0);
    await p.process(first);
    const batch = [later(16), ...removal(17)];
    expect((await p.process(batch)).map((f) => f.eventId)).toEqual([`${first[0]?.id}-not-replaced`]);
    p.abandon(); // delivery failed: SQS redelivers the same batch
    expect((await p.process(batch)).map((f) => f.eventId)).toEqual([`${first[0]?.id}-not-replaced`]);
    await p.settle();
    expect((await p.pending()).map((x) => x.timeMs)).toEqual([T0 + 17 * 60_000]);
    expect((await p.flush()).map((f) => f.details['firstEventId'])).toEqual([batch[1]?.id]);
    await p.settle();
    expect(await p.pending()).toEqual([]);
  });

  it('ignores root MFA (the detection pages on it at once), failed calls and other services', async () => {
    const p = newProcessor();
    const rootCall = iam('DeactivateMFADevice', 0, { serialNumber: `arn:aws:iam::${ACCOUNT}:mfa/root-account-mfa-device` });
    const failedCall = { ...iam('DeactivateMFADevice', 0, { userName: 'finance-reports', serialNumber: serial }), errorCode: 'AccessDenied' };
    expect([...(await p.process([rootCall, failedCall, later(30)])), ...(await p.flush())]).toEqual([]);
    expect(p.stats.removals).toBe(0);
  });

  it('tells the detections that it judges replacement', () => {
    expect(newProcessor().detectionContext).toEqual({ mfaReplacement: { windowMinutes: 15 } });
  });
});

describe('detect defers exactly what the processor judges', () => {
  it('a removal whose user cannot be named stays high at once even while the processor runs (it would never page later)', async () => {
    const context = new MfaReplacementProcessor().detectionContext;
    const named = iam('DeleteVirtualMFADevice', 0, { serialNumber: serial });
    const unnamed = iam('DeleteVirtualMFADevice', 0, { serialNumber: 'GAKT000123456' });
    expect(mfaDetect(named, context).map((f) => f.severity)).toEqual(['low']);
    expect(mfaDetect(unnamed, context).map((f) => f.severity)).toEqual(['high']);
    const p = newMemoryProcessor();
    expect([...(await p.process([named, unnamed])), ...(await p.flush())].map((f) => f.details['userName'])).toEqual(['finance-reports']);
  });
});

describe('DynamoMfaStore', () => {
  it('keeps both of two concurrent writers\' removals (conditional on the item version, retried)', async () => {
    const local = await startRateTable('rates');
    try {
      const a = new DynamoMfaStore(local.client, 'rates');
      const b = new DynamoMfaStore(local.client, 'rates');
      const item = (key: string) => ({ key, account: ACCOUNT, userName: key, serials: [], actor: 'x', eventId: key, timeMs: 0, deadlineMs: 1, snapshot: {} });
      await Promise.all([a.put(item('u1')), b.put(item('u2')), a.put(item('u3')), b.put(item('u4'))]);
      expect((await a.all()).map((i) => i.key).sort()).toEqual(['u1', 'u2', 'u3', 'u4']);
      await b.delete('u2');
      expect((await a.due(1)).map((i) => i.key).sort()).toEqual(['u1', 'u3', 'u4']);
      expect(await a.due(0)).toEqual([]);
    } finally {
      await local.stop();
    }
  });
});
