import { GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultRateConfig } from '../../shared/rates/config.ts';
import { decodePeaks, DynamoRateStore, encodePeaks, toState } from '../../shared/rates/dynamodb-store.ts';
import { decayTo, evaluate, fold, PEAK_SLOTS, peakFor, peakSlot, type Baseline } from '../../shared/rates/model.ts';
import { startRateTable } from './dynalite.ts';

const cfg = defaultRateConfig();
const t = cfg.principal;
const DAY = 1440;
/** 2026-03-02T00:00Z in epoch minutes: slots are UTC hours of the real minute. */
const D0 = Date.parse('2026-03-02T00:00:00Z') / 60_000;

/**
 * Five days of a principal doing 2 calls/min, plus a daily job of 200 calls/min for 10 minutes at
 * `jobAt` (minute of day; `shift(day)` moves it), folded minute by minute up to (not including) `until`.
 */
function history(until: number, jobAt: number, shift: (day: number) => number = () => 0): Baseline {
  let b: Baseline | null = null;
  for (let m = D0; m < until; m += 1) {
    const day = Math.floor((m - D0) / DAY);
    const start = D0 + day * DAY + jobAt + shift(day);
    const count = m >= start && m < start + 10 ? 200 : 2;
    b = fold(b, m, count, t, cfg);
  }
  return b as Baseline;
}

function anomalousAt(b: Baseline, minute: number, count: number): boolean {
  return evaluate(decayTo(b, minute, cfg), minute, count, t, cfg).anomalous;
}

describe('hour-of-day peak slots', () => {
  it('maps epoch minutes to UTC hours and takes the neighbouring hours into the peak', () => {
    expect(peakSlot(D0)).toBe(0);
    expect(peakSlot(D0 + 2 * 60 + 59)).toBe(2);
    expect(peakSlot(D0 + 23 * 60)).toBe(23);
    expect(peakSlot(D0 + DAY + 60)).toBe(1);
    const peaks = new Array<number>(PEAK_SLOTS).fill(0);
    peaks[2] = 100;
    expect([1, 2, 3].map((h) => peakFor(peaks, D0 + h * 60))).toEqual([100, 100, 100]);
    expect([0, 4, 15].map((h) => peakFor(peaks, D0 + h * 60))).toEqual([0, 0, 0]);
    peaks[23] = 50;
    expect(peakFor(peaks, D0)).toBe(50); // wraps around midnight
  });

  it('a daily job at 02:00 excuses a burst at 02:00 but not one at 15:00', () => {
    const day5 = D0 + 5 * DAY;
    const at0205 = history(day5 + 2 * 60 + 5, 2 * 60);
    expect(peakFor(at0205.peaks, day5 + 2 * 60 + 5)).toBeGreaterThan(150);
    expect(anomalousAt(at0205, day5 + 2 * 60 + 5, 150)).toBe(false);
    // The same job hid everything under 1.5x its size all day with one global peak; now it does not.
    const at1500 = history(day5 + 15 * 60, 2 * 60);
    expect(peakFor(at1500.peaks, day5 + 15 * 60)).toBeLessThan(10);
    expect(anomalousAt(at1500, day5 + 15 * 60, 150)).toBe(true);
    // A burst above 1.5x the job is news even at the job's hour.
    expect(anomalousAt(at0205, day5 + 2 * 60 + 5, 400)).toBe(true);
  });

  it('a job drifting into the neighbouring hour stays excused; two hours away it does not', () => {
    const day5 = D0 + 5 * DAY;
    // The job ran at 02:00 on days 0-4; on day 5 it runs at 03:30 (neighbour slot) or 04:30 (two away).
    const at0330 = history(day5 + 3 * 60 + 30, 2 * 60);
    expect(anomalousAt(at0330, day5 + 3 * 60 + 30, 200)).toBe(false);
    const at0430 = history(day5 + 4 * 60 + 30, 2 * 60);
    expect(anomalousAt(at0430, day5 + 4 * 60 + 30, 200)).toBe(true);
    // A job that wanders between 02:50 and 03:10 day to day is learned in both hours.
    const wandering = history(day5 + 4 * 60 + 5, 2 * 60 + 50, (day) => (day % 2 === 0 ? 0 : 20));
    expect(anomalousAt(wandering, day5 + 4 * 60 + 5, 200)).toBe(false);
  });

  it('a job does not inflate the variance and hide a burst three hours later', () => {
    const day5 = D0 + 5 * DAY;
    const b = history(day5 + 5 * 60 + 10, 2 * 60);
    expect(anomalousAt(b, day5 + 5 * 60 + 10, 40)).toBe(true);
  });

  it('encodes the slots compactly and round-trips them', () => {
    const peaks = Array.from({ length: PEAK_SLOTS }, (_, i) => (i === 2 ? 1234.56789012 : i === 5 ? 0.0004 : i * 0.731));
    const text = encodePeaks(peaks);
    expect(text.length).toBeLessThan(200);
    const back = decodePeaks(text) as number[];
    expect(back).toHaveLength(PEAK_SLOTS);
    for (let i = 0; i < PEAK_SLOTS; i += 1) expect(Math.abs((back[i] as number) - (peaks[i] as number))).toBeLessThanOrEqual(Math.max(0.001, (peaks[i] as number) * 1e-5));
    expect(decodePeaks('1,2,3')).toBeUndefined();
    expect(decodePeaks(`${'1,'.repeat(23)}x`)).toBeUndefined();
  });
});

describe('old-format state items (single `peak`)', () => {
  let local: Awaited<ReturnType<typeof startRateTable>>;
  beforeAll(async () => {
    local = await startRateTable('rates-legacy');
  });
  afterAll(async () => local.stop());

  const legacy = {
    pk: { S: 'p|111122223333|arn:aws:iam::111122223333:user/old' },
    m1: { N: '3.5' }, m2: { N: '20' }, peak: { N: '180' }, fmin: { N: String(D0) }, fthru: { N: String(D0 + 600) }, ver: { N: '7' }, [`c${D0 + 601}`]: { N: '4' },
  };

  it('loads with the old peak in every hour slot', () => {
    const state = toState(legacy);
    expect(state.baseline?.peaks).toEqual(new Array<number>(PEAK_SLOTS).fill(180));
    expect(state.version).toBe(7);
    expect(state.counts.get(D0 + 601)).toBe(4);
  });

  it('is rewritten in the new format by the next fold, in the same single UpdateItem', async () => {
    await local.client.send(new PutItemCommand({ TableName: 'rates-legacy', Item: legacy }));
    const item0 = await local.client.send(new GetItemCommand({ TableName: 'rates-legacy', Key: { pk: legacy.pk } }));
    const before = toState(item0.Item ?? {});
    const store = new DynamoRateStore(local.client, 'rates-legacy');
    const baseline = fold(before.baseline, D0 + 601, 4, t, cfg);
    const out = await store.apply([{ keyId: legacy.pk.S, adds: new Map([[D0 + 601, 0]]), fold: { expectVersion: 7, baseline, removeMinutes: [D0 + 601] }, ttl: 2_000_000_000 }]);
    expect(store.stats.writes).toBe(1);
    expect(store.stats.conditionalFailures).toBe(0);
    const after = out[0];
    expect(after?.baseline?.foldedThrough).toBe(D0 + 601);
    expect(after?.baseline?.peaks[5]).toBeCloseTo(180, 1);
    const raw = await local.client.send(new GetItemCommand({ TableName: 'rates-legacy', Key: { pk: legacy.pk } }));
    expect(raw.Item?.['peak']).toBeUndefined();
    expect(typeof raw.Item?.['pks']?.S).toBe('string');
    expect(raw.Item?.[`c${D0 + 601}`]).toBeUndefined();
  });
});
