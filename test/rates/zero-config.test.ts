import { describe, expect, it } from 'vitest';
import type { Finding, TrailEvent } from '../../shared/model/types.ts';
import { defaultRateConfig } from '../../shared/rates/config.ts';
import { RateDetector } from '../../shared/rates/detector.ts';
import { decodeEpisodes, encodeEpisodes, toState } from '../../shared/rates/dynamodb-store.ts';
import { isTemporaryAccessKey, keysFor } from '../../shared/rates/keys.ts';
import { episodePeak } from '../../shared/rates/model.ts';
import { MemoryRateStore } from '../../shared/rates/store.ts';
import { event, MIN, steady, T0 } from './records.ts';

/** Feeds events in batches of `batchMs` of event time (the rates queue's batching window is 30 s). */
async function run(events: TrailEvent[], batchMs = 30_000): Promise<Finding[]> {
  const d = new RateDetector(new MemoryRateStore(), defaultRateConfig());
  const sorted = [...events].sort((a, b) => a.timeMs - b.timeMs);
  const findings: Finding[] = [];
  let batch: TrailEvent[] = [];
  let end = (sorted[0]?.timeMs ?? 0) + batchMs;
  for (const e of sorted) {
    if (e.timeMs >= end) {
      findings.push(...(await d.process(batch)).findings);
      batch = [];
      while (e.timeMs >= end) end += batchMs;
    }
    batch.push(e);
  }
  findings.push(...(await d.process(batch)).findings);
  return findings;
}

describe('temporary session keys are not "new access keys"', () => {
  it('keys ASIA session keys under their role only; long-lived AKIA keys keep their own key', () => {
    expect(isTemporaryAccessKey('ASIAZ7QEXAMPLE000001')).toBe(true);
    expect(isTemporaryAccessKey('AKIAZ7QEXAMPLE000001')).toBe(false);
    const ci = event({ role: 'gha-deploy', accessKeyId: 'ASIAFRESHSESSIONKEY1', time: T0 });
    expect(keysFor(ci).map((k) => k.dimension)).toEqual(['principal', 'api']);
    const user = event({ user: 'deploy-bot', accessKeyId: 'AKIAEXAMPLEDEPLOY001', time: T0 });
    expect(keysFor(user).map((k) => k.dimension)).toEqual(['principal', 'api', 'accessKey']);
  });

  it('does not raise an access-key finding for each CI job, only what the role does', async () => {
    // Three hours of one CI role, a fresh key per 20-minute job at 3 calls/min, then one 400-call job.
    const history: TrailEvent[] = [];
    for (let job = 0; job < 9; job += 1) history.push(...steady(job * 20, job * 20 + 20, 3, { role: 'gha-deploy', accessKeyId: `ASIAJOB${String(job).padStart(13, '0')}` }));
    const burst = steady(180, 181, 400, { role: 'gha-deploy', accessKeyId: 'ASIAJOB0000000000099' });
    const findings = await run([...history, ...burst]);
    // The burst is reported under the role (opened, then escalated as the minute fills up); no key finding.
    expect(findings.length).toBeGreaterThan(0);
    expect(new Set(findings.map((f) => f.details['dimension']))).toEqual(new Set(['principal']));
  });
});

describe('a role bursty at any hour is its own normal after three bursts at different times of day', () => {
  const burstAt = (minute: number, n: number) => steady(minute, minute + 2, n, { role: 'terraform-plan', accessKeyId: `ASIATF${minute}` });
  const quiet = (from: number, to: number) => steady(from, to, 1, { role: 'terraform-plan', accessKeyId: 'ASIAQUIETQUIETQUIET1' }).filter((_, i) => i % 20 === 0);

  it('pages for the first bursts, then excuses similar ones at any hour, but not a much larger one', async () => {
    const events = [
      ...quiet(0, 3000),
      ...burstAt(200, 500), // 03:20
      ...burstAt(900, 600), // 15:00
      ...burstAt(1500, 550), // next day 01:00
      ...burstAt(2100, 520), // 11:00: a habit by now, at yet another hour
      ...burstAt(2700, 2000), // 21:00: four times the habit
    ];
    const findings = (await run(events)).filter((f) => f.details['dimension'] === 'principal');
    const minutes = findings.map((f) => Math.round((Date.parse(String(f.details['windowStart'])) - T0) / MIN));
    expect(minutes).toContain(200);
    expect(minutes.some((m) => m >= 2100 && m < 2102)).toBe(false);
    expect(minutes.some((m) => m >= 2700 && m < 2702)).toBe(true);
  });

  it('needs the episodes spread over the day: a job at one hour stays that hour\'s business', () => {
    expect(episodePeak({ episodes: [500, 600, 550], episodeSlots: [3, 15, 1] })).toBe(600);
    expect(episodePeak({ episodes: [500, 600, 550], episodeSlots: [2, 3, 2] })).toBe(0);
    expect(episodePeak({ episodes: [500, 600], episodeSlots: [3, 15] })).toBe(0);
  });

  it('stores the episodes in DynamoDB and reads them back', () => {
    const text = encodeEpisodes([500.123456789, 600], [3, 15], 12345);
    expect(decodeEpisodes(text)).toEqual({ episodes: [500.123, 600], slots: [3, 15], lastMinute: 12345 });
    expect(decodeEpisodes('garbage')).toBeUndefined();
    const state = toState({ pk: { S: 'p|1|x' }, m1: { N: '1' }, m2: { N: '1' }, pks: { S: new Array(24).fill('0').join(',') }, fmin: { N: '1' }, fthru: { N: '2' }, eps: { S: text } });
    expect(state.baseline).toMatchObject({ episodes: [500.123, 600], episodeSlots: [3, 15], episodeMinute: 12345 });
  });
});

describe("a burst's severity follows the whole burst", () => {
  it('the stolen role: 300+ AccessDenied a minute for 4 minutes ends high though it opened small', async () => {
    const role = { role: 'payments-worker', accessKeyId: 'ASIASTOLENSESSION001', ip: '45.137.21.9' };
    const history = steady(0, 240, 6, { role: 'payments-worker' });
    // The first batch sees 40 denials (the start of the burst), the next minutes 330 each.
    const start = steady(240, 241, 80, { ...role, errorCode: 'AccessDenied', eventName: 'ListUsers', eventSource: 'iam.amazonaws.com' }).slice(0, 40);
    const rest = steady(241, 245, 330, { ...role, errorCode: 'AccessDenied', eventName: 'ListSecrets', eventSource: 'secretsmanager.amazonaws.com' });
    const findings = (await run([...history, ...start, ...rest])).filter((f) => f.detection === 'api-error-rate-anomaly');
    expect(findings[0]?.severity).toBe('medium');
    expect(findings.at(-1)?.severity).toBe('high');
    expect(findings.at(-1)?.details['reason']).toBe('escalated');
    expect(findings.at(-1)?.details['burstId']).toBe(findings[0]?.details['burstId']);
    expect(findings.at(-1)?.title).toMatch(/burst now high/);
  });

  it('reads the whole-burst facts back from a DynamoDB item (and old items as a one-minute medium burst)', () => {
    const base = { pk: { S: 'e|1|x' }, bid: { S: 'rate-abc' }, bstart: { N: '10' }, blast: { N: '13' }, bcount: { N: '40' }, bmin: { N: '10' }, balerts: { N: '1' } };
    const state = toState({ ...base, bsev: { S: 'medium' }, btot: { N: '700' }, blc: { N: '330' }, bmins: { N: '4' }, bpk: { N: '330' } });
    expect(state.burst).toMatchObject({ severity: 'medium', total: 700, lastCount: 330, minutes: 4, peak: 330 });
    expect(toState(base).burst?.severity).toBeUndefined();
  });

  it('grows to high when many modest minutes add up (4 x 80 errors)', async () => {
    const history = steady(0, 240, 6, { user: 'bob', accessKeyId: 'AKIAEXAMPLEBOB000001' });
    const denied = steady(240, 244, 80, { user: 'bob', accessKeyId: 'AKIAEXAMPLEBOB000001', errorCode: 'AccessDenied' });
    const findings = (await run([...history, ...denied], 60_000)).filter((f) => f.detection === 'api-error-rate-anomaly');
    expect(findings.map((f) => f.severity)).toEqual(['medium', 'high']);
    expect(findings[1]?.details['burst']).toMatchObject({ minutes: 4, total: 320 });
  });
});
