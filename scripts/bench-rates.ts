/**
 * Benchmark of the API-rate detector alone: a seeded 1,000,000-event synthetic stream from 10,000
 * principals (Zipf-like activity, 60 distinct APIs, every principal an IAM user with its own AKIA
 * key, 1% AccessDenied) through aggregation + model + in-memory store, in batches of 10,000 events
 * each spanning 30 s of event time, as the SQS event source would deliver them (1M events = 50
 * minutes of event time). Event generation and normalisation happen between batches, outside the
 * timed section (the garbage they leave can still be collected inside it).
 *
 * Each measurement runs in its own child process, so its peak RSS is its own:
 * - this version at 1M events, and the previous implementation (test/rates/reference/, kept as the
 *   equivalence test's oracle) on the same stream: the before/after in one run;
 * - this version on the same stream through the per-key-per-batch write path (`writesOnly`: one
 *   KeyWrite per key per batch, versioned folds, copied states: what it does against DynamoDB in
 *   Lambda), beside the live path replay and this figure use (the same findings, tested);
 * - the floor on the same stream: dropping duplicates and finding each event's keys, nothing else;
 * - this version at 2x the events with the same principals: memory must stay flat (bounded by keys);
 * - a dense stream (200 principals, the same 1M events): state writes per million events follow
 *   distinct keys per batch, not events.
 * Run on its own: `npx tsx scripts/bench-rates.ts` (`--quick`: 1M only, no comparisons).
 */
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { normalize } from '../shared/model/normalize.ts';
import type { Finding, TrailEvent } from '../shared/model/types.ts';
import { defaultRateConfig } from '../shared/rates/config.ts';
import { KeyTable, type KeySlot } from '../shared/rates/aggregate.ts';
import { RecentIds } from '../shared/rates/dedupe.ts';
import { RateDetector } from '../shared/rates/detector.ts';
import { MemoryRateStore, writesOnly } from '../shared/rates/store.ts';
import { rng } from '../test/helpers/rng.ts';

/** The issue-15 target for the detector alone. */
export const TARGET_EVENTS_PER_SECOND = 200_000;

export interface RateRunOptions {
  events?: number;
  principals?: number;
  batchSize?: number;
  /**
   * `reference`: the implementation before the rates-perf rewrite (test/rates/reference/);
   * `write-path`: this one through the store's `apply`/`saveBurst` only (the DynamoDB path);
   * `floor`: only what any rate detector must do per event — drop duplicates (`RecentIds`) and find
   * the event's keys (`KeyTable.slotsOf`: one hash lookup per key string) — and nothing else.
   */
  implementation?: Implementation;
}

type Implementation = 'current' | 'write-path' | 'reference' | 'floor';

export interface RateRunResult {
  implementation: Implementation;
  events: number;
  principals: number;
  batchSize: number;
  seconds: number;
  eventsPerSecond: number;
  /** CPU time (user + system, this process) of the timed section: steadier than wall time on a shared machine. */
  cpuSeconds: number;
  eventsPerCpuSecond: number;
  peakRssMb: number;
  peakHeapMb: number;
  /** Heap in use after a full GC at the end: live state only (keys, cache, dedupe window). */
  liveHeapMb: number;
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
    const record = {
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
    };
    // Through JSON, as every real record arrives (replay parses log files, Lambda parses SQS bodies):
    // flat strings, as JSON.parse makes them, not the concatenations the template literals build.
    const r = normalize(process.env['BENCH_RATES_CONS'] ? record : JSON.parse(JSON.stringify(record)));
    if (r.ok) out.push(r.event);
  }
  return out;
}

interface Detector {
  process(events: readonly TrailEvent[]): Promise<{ findings: Finding[] }>;
}

/** A full GC, if this process can be given one (for the live-heap figure). */
function collectGarbage(): void {
  try {
    setFlagsFromString('--expose-gc');
    (runInNewContext('gc') as () => void)();
  } catch {
    // No GC available: liveHeapMb is then the heap as it stands.
  }
}

/** One measurement in this process. */
export async function runRates(options: RateRunOptions = {}): Promise<RateRunResult> {
  const total = options.events ?? 1_000_000;
  const principals = options.principals ?? 10_000;
  const batchSize = options.batchSize ?? 10_000;
  const implementation = options.implementation ?? 'current';
  const random = rng(42);
  let detector: Detector;
  let storeStats: () => { writes: number; size: number };
  if (implementation === 'floor') {
    const recent = new RecentIds(defaultRateConfig().dedupeWindow);
    const keys = new KeyTable();
    const scratch: KeySlot[] = [];
    let found = 0;
    detector = {
      process: async (events) => {
        for (const e of events) if (!recent.seen(e.id)) found += keys.slotsOf(e, scratch);
        return { findings: [] };
      },
    };
    storeStats = () => ({ writes: found, size: keys.size });
  } else if (implementation === 'reference') {
    const { RateDetector: Reference } = await import('../test/rates/reference/detector.ts');
    const { MemoryRateStore: ReferenceStore } = await import('../test/rates/reference/store.ts');
    const store = new ReferenceStore();
    detector = new Reference(store, defaultRateConfig());
    storeStats = () => ({ writes: store.stats.writes, size: store.size });
  } else {
    const store = new MemoryRateStore();
    detector = new RateDetector(implementation === 'write-path' ? writesOnly(store) : store, defaultRateConfig());
    storeStats = () => ({ writes: store.stats.writes, size: store.size });
  }
  const seq = { n: 0 };
  const spanMs = 30_000;
  let peakRss = 0;
  let peakHeap = 0;
  let timedMs = 0;
  let cpuUs = 0;
  let findings = 0;
  const t0 = Date.parse('2026-03-02T00:00:00Z');
  for (let done = 0, b = 0; done < total; done += batchSize, b += 1) {
    const events = batch(random, principals, Math.min(batchSize, total - done), t0 + b * spanMs, spanMs, seq);
    const start = performance.now();
    const cpu = process.cpuUsage();
    findings += (await detector.process(events)).findings.length;
    const used = process.cpuUsage(cpu);
    timedMs += performance.now() - start;
    cpuUs += used.user + used.system;
    const mem = process.memoryUsage();
    peakRss = Math.max(peakRss, mem.rss);
    peakHeap = Math.max(peakHeap, mem.heapUsed);
  }
  collectGarbage();
  const live = process.memoryUsage().heapUsed;
  const mb = (n: number) => Math.round((n / 1024 / 1024) * 10) / 10;
  const { writes, size } = storeStats();
  return {
    implementation,
    events: total,
    principals,
    batchSize,
    seconds: Math.round(timedMs) / 1000,
    eventsPerSecond: Math.round(total / (timedMs / 1000)),
    cpuSeconds: Math.round(cpuUs / 1000) / 1000,
    eventsPerCpuSecond: Math.round(total / (cpuUs / 1_000_000)),
    peakRssMb: mb(peakRss),
    peakHeapMb: mb(peakHeap),
    liveHeapMb: mb(live),
    stateWrites: writes,
    stateWritesPerMillionEvents: Math.round((writes / total) * 1_000_000),
    keys: size,
    findings,
  };
}

const SELF = fileURLToPath(import.meta.url);
const ROOT = join(dirname(SELF), '..');

/** One measurement in a fresh child process (its own peak RSS). */
function inChild(options: RateRunOptions): RateRunResult {
  const res = spawnSync(process.execPath, ['--import', 'tsx', SELF, '--child', JSON.stringify(options)], { cwd: ROOT, encoding: 'utf8', maxBuffer: 1 << 20 });
  if (res.status !== 0) throw new Error(`bench-rates child failed (${res.status}): ${res.stderr}`);
  return JSON.parse(res.stdout.trim().split('\n').pop() ?? '{}') as RateRunResult;
}

export interface RateBenchResult {
  events: number;
  principals: number;
  eventsPerSecond: number;
  /** Of the timed section: user + system CPU (GC helper threads included). */
  eventsPerCpuSecond: number;
  targetEventsPerSecond: number;
  meetsTarget: boolean;
  previousVersionEventsPerSecond?: number;
  previousVersionEventsPerCpuSecond?: number;
  speedupOverPreviousVersion?: number;
  /** This code through the per-key write path (KeyWrite per key per batch, as against DynamoDB). */
  writePathEventsPerSecond?: number;
  writePathEventsPerCpuSecond?: number;
  writePathFindings?: number;
  writePathStateWritesPerMillionEvents?: number;
  /** Dedupe + finding each event's keys, nothing else, on the same stream (the per-event floor). */
  floorEventsPerSecond?: number;
  floorEventsPerCpuSecond?: number;
  seconds: number;
  keys: number;
  stateWritesPerMillionEvents: number;
  findings: number;
  previousVersionFindings?: number;
  peakRssMb: number;
  previousVersionPeakRssMb?: number;
  liveHeapMb: number;
  /** The same principals, twice the events: RSS and live heap stay flat. */
  doubleEventsPeakRssMb?: number;
  doubleEventsLiveHeapMb?: number;
  doubleEventsKeys?: number;
  /** 200 busy principals, the same number of events. */
  denseStateWritesPerMillionEvents?: number;
  denseEventsPerSecond?: number;
}

/** Runs the benchmark and returns its measurements (also used by scripts/bench.ts). */
export async function benchRates(options: { quick?: boolean; events?: number } = {}): Promise<RateBenchResult> {
  const events = options.events ?? 1_000_000;
  const main = inChild({ events });
  const result: RateBenchResult = {
    events,
    principals: main.principals,
    eventsPerSecond: main.eventsPerSecond,
    eventsPerCpuSecond: main.eventsPerCpuSecond,
    targetEventsPerSecond: TARGET_EVENTS_PER_SECOND,
    meetsTarget: main.eventsPerSecond >= TARGET_EVENTS_PER_SECOND,
    seconds: main.seconds,
    keys: main.keys,
    stateWritesPerMillionEvents: main.stateWritesPerMillionEvents,
    findings: main.findings,
    peakRssMb: main.peakRssMb,
    liveHeapMb: main.liveHeapMb,
  };
  if (options.quick) return result;
  const previous = inChild({ events, implementation: 'reference' });
  const writePath = inChild({ events, implementation: 'write-path' });
  const floor = inChild({ events, implementation: 'floor' });
  const double = inChild({ events: events * 2 });
  const dense = inChild({ events, principals: 200 });
  return {
    ...result,
    previousVersionEventsPerSecond: previous.eventsPerSecond,
    previousVersionEventsPerCpuSecond: previous.eventsPerCpuSecond,
    speedupOverPreviousVersion: Math.round((main.eventsPerSecond / previous.eventsPerSecond) * 100) / 100,
    writePathEventsPerSecond: writePath.eventsPerSecond,
    writePathEventsPerCpuSecond: writePath.eventsPerCpuSecond,
    writePathFindings: writePath.findings,
    writePathStateWritesPerMillionEvents: writePath.stateWritesPerMillionEvents,
    floorEventsPerSecond: floor.eventsPerSecond,
    floorEventsPerCpuSecond: floor.eventsPerCpuSecond,
    previousVersionFindings: previous.findings,
    previousVersionPeakRssMb: previous.peakRssMb,
    doubleEventsPeakRssMb: double.peakRssMb,
    doubleEventsLiveHeapMb: double.liveHeapMb,
    doubleEventsKeys: double.keys,
    denseStateWritesPerMillionEvents: dense.stateWritesPerMillionEvents,
    denseEventsPerSecond: dense.eventsPerSecond,
  };
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/\\/g, '/'))) {
  const child = process.argv.indexOf('--child');
  if (child >= 0) {
    runRates(JSON.parse(process.argv[child + 1] ?? '{}') as RateRunOptions).then((r) => process.stdout.write(`${JSON.stringify(r)}\n`));
  } else {
    benchRates({ quick: process.argv.includes('--quick') }).then((r) => process.stdout.write(`${JSON.stringify(r, null, 2)}\n`));
  }
}
