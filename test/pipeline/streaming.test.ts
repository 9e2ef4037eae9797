import { describe, expect, it } from 'vitest';
import { generateTraffic } from '../../scripts/gen-traffic.ts';
import type { InputRecord } from '../../shared/input/types.ts';
import { inDeliveryOrder } from '../../shared/input/files.ts';
import type { Finding, TrailEvent } from '../../shared/model/types.ts';
import { replayRecords } from '../../shared/pipeline/replay.ts';
import type { StreamProcessor } from '../../shared/pipeline/types.ts';
import { createRateProcessor } from '../../shared/rates/processor.ts';
import { rng } from '../helpers/rng.ts';

async function* from(values: unknown[]): AsyncGenerator<InputRecord> {
  let i = 0;
  for (const value of values) yield { kind: 'event', value, origin: `mem:${++i}` };
}

/** Records the order and the batch sizes processors see. */
class Recorder implements StreamProcessor {
  readonly name = 'recorder';
  readonly times: number[] = [];
  async process(events: readonly TrailEvent[]): Promise<Finding[]> {
    for (const e of events) this.times.push(e.timeMs);
    return [];
  }
  async flush(): Promise<Finding[]> {
    return [];
  }
}

const key = (f: Finding) => `${f.detection}|${f.eventId}|${f.severity}|${f.title}`;

describe('streaming replay', () => {
  it('gives the rate detector the same findings when records arrive shuffled within the reorder window', async () => {
    const records = generateTraffic();
    const r = rng(5);
    // Each record moves by up to ~100 positions (a few minutes of this traffic): within the 15-minute window.
    const shuffled = records.map((rec, i) => ({ rec, k: i + r() * 100 })).sort((a, b) => a.k - b.k).map((x) => x.rec);
    // reorderMinEvents 0: the time window alone (this sample is smaller than the default minimum held).
    const sorted = await replayRecords(from(records), { detections: [], processors: [createRateProcessor()], reorderMinEvents: 0 });
    const mixed = await replayRecords(from(shuffled), { detections: [], processors: [createRateProcessor()], reorderMinEvents: 0 });
    expect(sorted.findings.length).toBeGreaterThan(0);
    expect(mixed.findings.map(key)).toEqual(sorted.findings.map(key));
    expect(mixed.lateEvents).toBe(0);
    // Only a window of events is held, not the input: at most the busiest 15 minutes plus the shuffle slack.
    const times = records.map((x) => Date.parse(String(x['eventTime']))).sort((a, b) => a - b);
    let busiest = 0;
    for (let i = 0, j = 0; i < times.length; i += 1) {
      while ((times[i] as number) - (times[j] as number) > 15 * 60_000) j += 1;
      busiest = Math.max(busiest, i - j + 1);
    }
    expect(mixed.maxReorderHeld).toBeLessThanOrEqual(busiest + 100);
    expect(mixed.maxReorderHeld).toBeLessThan(records.length / 2);
  });

  it('feeds processors in event-time order and counts events older than the window as late', async () => {
    const rec = (id: number, minute: number) => ({
      eventVersion: '1.09',
      userIdentity: { type: 'IAMUser', arn: 'arn:aws:iam::111122223333:user/alice', accountId: '111122223333', userName: 'alice' },
      eventTime: new Date(Date.parse('2026-11-02T00:00:00Z') + minute * 60_000).toISOString(),
      eventSource: 'iam.amazonaws.com',
      eventName: 'ListUsers',
      awsRegion: 'us-east-1',
      eventID: `00000000-0000-4000-8000-${String(id).padStart(12, '0')}`,
      eventType: 'AwsApiCall',
      recipientAccountId: '111122223333',
    });
    const p = new Recorder();
    const input = [rec(1, 10), rec(2, 5), rec(3, 60), rec(4, 1), rec(5, 61)];
    const result = await replayRecords(from(input), { detections: [], processors: [p], reorderMinEvents: 0 });
    // minute 1 came after minute 60 was read: 59 minutes late, beyond the 15-minute window.
    expect(result.lateEvents).toBe(1);
    expect(p.times.filter((_, i) => i !== p.times.indexOf(Date.parse('2026-11-02T00:01:00Z')))).toEqual([...p.times].filter((t) => t !== Date.parse('2026-11-02T00:01:00Z')).sort((a, b) => a - b));
    expect(p.times).toHaveLength(5);
    // An input smaller than the minimum the window holds (20,000 by default) is sorted exactly.
    const small = new Recorder();
    const exact = await replayRecords(from(input), { detections: [], processors: [small] });
    expect(exact.lateEvents).toBe(0);
    expect(small.times).toEqual([...small.times].sort((a, b) => a - b));
  });

  it('reads an S3 CloudTrail tree by delivery time, not account by account', () => {
    const files = [
      'AWSLogs/111111111111/CloudTrail/us-east-1/2026/11/02/111111111111_CloudTrail_us-east-1_20261102T0005Z_a.json.gz',
      'AWSLogs/111111111111/CloudTrail/us-east-1/2026/11/03/111111111111_CloudTrail_us-east-1_20261103T0005Z_b.json.gz',
      'AWSLogs/222222222222/CloudTrail/us-east-1/2026/11/02/222222222222_CloudTrail_us-east-1_20261102T0010Z_c.json.gz',
    ];
    expect(inDeliveryOrder(files).map((f) => f.slice(-9))).toEqual(['_a.json.gz', '_c.json.gz', '_b.json.gz'].map((s) => s.slice(-9)));
    // Anything else keeps its sorted walk order.
    expect(inDeliveryOrder(['b/x.json', 'a/y.json'])).toEqual(['b/x.json', 'a/y.json']);
  });
});
