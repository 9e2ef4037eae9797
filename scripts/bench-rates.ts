/**
 * Benchmark of the API-rate detector: a seeded 1,000,000-event synthetic stream from 10,000
 * principals (Zipf-like activity, 60 distinct APIs, 20% error-free access keys) through
 * aggregation + model + in-memory store, in batches of 10,000 events as the SQS event source would
 * deliver them. Reports events/s, peak RSS / heap and state writes per million events.
 * Run on its own: `npx tsx scripts/bench-rates.ts`.
 */
import { normalize } from '../shared/model/normalize.ts';
import type { TrailEvent } from '../shared/model/types.ts';
import { defaultRateConfig } from '../shared/rates/config.ts';
import { RateDetector } from '../shared/rates/detector.ts';
import { MemoryRateStore } from '../shared/rates/store.ts';
import { rng } from '../test/helpers/rng.ts';

export interface RateBenchResult {
  events: number;
  principals: number;
  batchSize: number;
  seconds: number;
  eventsPerSecond: number;
  peakRssMb: number;
  peakHeapMb: number;
  stateWrites: number;
  stateWritesPerMillionEvents: number;
  keys: number;
  findings: number;
}


const APIS = Array.from({ length: 60 }, (_, i) => [['ec2', 's3', 'iam', 'sts', 'kms', 'lambda'][i % 6] as string, `Operation${i}`] as const);

/** Builds one batch of normalised events (normalisation is outside the timed section). */
function batch(random: () => number, principals: number, size: number, startMs: number, spanMs: number, seq: { n: number }): TrailEvent[] {
  const out: TrailEvent[] = [];
  for (let i = 0; i < size; i += 1) {
    // Zipf-ish: a few principals are very busy, most are quiet.
    const p = Math.floor(principals * Math.pow(random(), 3));
    const [svc, op] = APIS[Math.floor(random() * APIS.length)] as readonly [string, string];
    seq.n += 1;
    const r = normalize({
      eventVersion: '1.09',
      eventID: `bench-${seq.n}`,
      eventTime: new Date(startMs + Math.floor((i / size) * spanMs)).toISOString(),
      eventSource: `${svc}.amazonaws.com`,
      eventName: op,
      awsRegion: 'us-east-1',
      sourceIPAddress: `10.0.${p % 250}.${p % 200}`,
      recipientAccountId: '111122223333',
      ...(random() < 0.01 ? { errorCode: 'AccessDenied' } : {}),
      userIdentity: { type: 'IAMUser', arn: `arn:aws:iam::111122223333:user/u${p}`, userName: `u${p}`, accountId: '111122223333', accessKeyId: `AKIABENCH${String(p).padStart(11, '0')}` },
    });
    if (r.ok) out.push(r.event);
  }
  return out;
}

/** Runs the benchmark and returns its measurements (also used by scripts/bench.ts). */
export async function benchRates(options: { events?: number; principals?: number; batchSize?: number } = {}): Promise<RateBenchResult> {
  const total = options.events ?? 1_000_000;
  const principals = options.principals ?? 10_000;
  const batchSize = options.batchSize ?? 10_000;
  const random = rng(42);
  const store = new MemoryRateStore();
  const detector = new RateDetector(store, defaultRateConfig());
  const seq = { n: 0 };
  // 1,000,000 events over ~8 hours: each 10,000-event batch covers ~30 s of event time.
  const spanMs = 30_000;
  let peakRss = 0;
  let peakHeap = 0;
  let timedMs = 0;
  let findings = 0;
  const t0 = Date.parse('2026-03-02T00:00:00Z');
  for (let done = 0, b = 0; done < total; done += batchSize, b += 1) {
    const events = batch(random, principals, Math.min(batchSize, total - done), t0 + b * spanMs, spanMs, seq);
    const start = performance.now();
    findings += (await detector.process(events)).findings.length;
    timedMs += performance.now() - start;
    const mem = process.memoryUsage();
    peakRss = Math.max(peakRss, mem.rss);
    peakHeap = Math.max(peakHeap, mem.heapUsed);
  }
  const mb = (n: number) => Math.round((n / 1024 / 1024) * 10) / 10;
  return {
    events: total,
    principals,
    batchSize,
    seconds: Math.round(timedMs) / 1000,
    eventsPerSecond: Math.round(total / (timedMs / 1000)),
    peakRssMb: mb(peakRss),
    peakHeapMb: mb(peakHeap),
    stateWrites: store.stats.writes,
    stateWritesPerMillionEvents: Math.round((store.stats.writes / total) * 1_000_000),
    keys: store.size,
    findings,
  };
}

if (!process.env.NO_MAIN && process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/\\/g, '/'))) {
  benchRates().then((r) => process.stdout.write(`${JSON.stringify(r, null, 2)}\n`));
}
