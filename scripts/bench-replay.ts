/**
 * The replay benchmark (`npm run bench`, docs/performance.md): a generated corpus of realistic mixed
 * CloudTrail records in gzip log files, the "gunzip + JSON.parse and do nothing" floor measured on
 * the same bytes, and replay at 1, 2 and N worker threads, each in a fresh process.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';

// ---------------------------------------------------------------------------------------------
// Corpus: realistic mixed traffic — mostly read-only noise, some writes, a few attack events.
// ---------------------------------------------------------------------------------------------
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const ACCOUNT = '111122223333';
const USERS = ['alice', 'bob', 'carol', 'ci-deployer', 'dave'];
const ROLES = ['Admin', 'ReadOnly', 'lambda-exec', 'eks-node', 'OrganizationAccountAccessRole'];
const NOISE: Array<[string, string, boolean]> = [
  ['ec2.amazonaws.com', 'DescribeInstances', true],
  ['ec2.amazonaws.com', 'DescribeSecurityGroups', true],
  ['s3.amazonaws.com', 'ListBuckets', true],
  ['sts.amazonaws.com', 'AssumeRole', false],
  ['sts.amazonaws.com', 'GetCallerIdentity', true],
  ['kms.amazonaws.com', 'Decrypt', true],
  ['logs.amazonaws.com', 'PutLogEvents', false],
  ['lambda.amazonaws.com', 'ListFunctions20150331', true],
  ['iam.amazonaws.com', 'ListRoles', true],
  ['secretsmanager.amazonaws.com', 'GetSecretValue', true],
  ['dynamodb.amazonaws.com', 'DescribeTable', true],
  ['cloudtrail.amazonaws.com', 'LookupEvents', true],
];
const WRITES: Array<[string, string, Record<string, unknown>]> = [
  ['ec2.amazonaws.com', 'AuthorizeSecurityGroupIngress', { groupId: 'sg-0abc', ipPermissions: { items: [{ ipProtocol: 'tcp', fromPort: 22, toPort: 22, ipRanges: { items: [{ cidrIp: '0.0.0.0/0' }] } }] } }],
  ['iam.amazonaws.com', 'PutRolePolicy', { roleName: 'lambda-exec', policyName: 'inline', policyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::data/*' }] }) }],
  ['iam.amazonaws.com', 'CreateUser', { userName: 'temp-user' }],
  ['cloudtrail.amazonaws.com', 'StopLogging', { name: `arn:aws:cloudtrail:us-east-1:${ACCOUNT}:trail/main` }],
  ['kms.amazonaws.com', 'ScheduleKeyDeletion', { keyId: '1234abcd-12ab-34cd-56ef-1234567890ab', pendingWindowInDays: 7 }],
  ['ec2.amazonaws.com', 'CreateRoute', { routeTableId: 'rtb-1', destinationCidrBlock: '0.0.0.0/0', gatewayId: 'igw-1' }],
];

function record(r: () => number, i: number, start: number): Record<string, unknown> {
  const time = new Date(start + i * 250 + Math.floor(r() * 200)).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const user = USERS[Math.floor(r() * USERS.length)] as string;
  const role = ROLES[Math.floor(r() * ROLES.length)] as string;
  const assumed = r() < 0.7;
  const userIdentity = assumed
    ? {
        type: 'AssumedRole',
        principalId: `AROAEXAMPLE:${user}`,
        arn: `arn:aws:sts::${ACCOUNT}:assumed-role/${role}/${user}`,
        accountId: ACCOUNT,
        accessKeyId: 'ASIAEXAMPLE',
        sessionContext: { sessionIssuer: { type: 'Role', arn: `arn:aws:iam::${ACCOUNT}:role/${role}`, accountId: ACCOUNT, userName: role }, attributes: { creationDate: time, mfaAuthenticated: 'false' } },
      }
    : { type: 'IAMUser', principalId: 'AIDAEXAMPLE', arn: `arn:aws:iam::${ACCOUNT}:user/${user}`, accountId: ACCOUNT, userName: user, accessKeyId: 'AKIAEXAMPLE' };
  const roll = r();
  let eventSource: string;
  let eventName: string;
  let readOnly = true;
  let requestParameters: Record<string, unknown> | null = null;
  let extra: Record<string, unknown> = {};
  if (roll < 0.003) {
    eventSource = 'signin.amazonaws.com';
    eventName = 'ConsoleLogin';
    readOnly = false;
    const root = r() < 0.2;
    extra = {
      eventType: 'AwsConsoleSignIn',
      userIdentity: root ? { type: 'Root', principalId: ACCOUNT, arn: `arn:aws:iam::${ACCOUNT}:root`, accountId: ACCOUNT } : { type: 'IAMUser', principalId: 'AIDAEXAMPLE', arn: `arn:aws:iam::${ACCOUNT}:user/${user}`, accountId: ACCOUNT, userName: user },
      responseElements: { ConsoleLogin: r() < 0.8 ? 'Success' : 'Failure' },
      additionalEventData: { LoginTo: 'https://console.aws.amazon.com/console/home', MobileVersion: 'No', MFAUsed: r() < 0.5 ? 'Yes' : 'No' },
    };
  } else if (roll < 0.02) {
    const w = WRITES[Math.floor(r() * WRITES.length)] as (typeof WRITES)[number];
    [eventSource, eventName, requestParameters] = [w[0], w[1], w[2]];
    readOnly = false;
  } else {
    const n = NOISE[Math.floor(r() * NOISE.length)] as (typeof NOISE)[number];
    [eventSource, eventName, readOnly] = n;
    if (r() < 0.02) extra = { errorCode: 'AccessDenied', errorMessage: `User is not authorized to perform: ${eventName}` };
  }
  return {
    eventVersion: '1.09',
    userIdentity,
    eventTime: time,
    eventSource,
    eventName,
    awsRegion: r() < 0.8 ? 'us-east-1' : 'eu-west-1',
    sourceIPAddress: `198.51.100.${Math.floor(r() * 250)}`,
    userAgent: 'aws-cli/2.15.0 md/Botocore#1.34.0',
    requestParameters,
    responseElements: null,
    requestID: `req-${i}`,
    eventID: `bench-${i.toString(16).padStart(8, '0')}-0000-4000-8000-000000000000`,
    readOnly,
    eventType: 'AwsApiCall',
    managementEvent: true,
    recipientAccountId: ACCOUNT,
    eventCategory: 'Management',
    ...extra,
  };
}

export function generateCorpus(dir: string, events: number): { files: number; bytes: number } {
  const r = rng(42);
  const perFile = 1000;
  const start = Date.UTC(2026, 10, 20, 0, 0, 0);
  let bytes = 0;
  let files = 0;
  for (let i = 0; i < events; i += perFile) {
    const records = [];
    for (let j = i; j < Math.min(i + perFile, events); j++) records.push(record(r, j, start));
    const gz = gzipSync(JSON.stringify({ Records: records }));
    const name = `${ACCOUNT}_CloudTrail_us-east-1_${String(files).padStart(5, '0')}.json.gz`;
    writeFileSync(join(dir, name), gz);
    bytes += gz.length;
    files++;
  }
  return { files, bytes };
}

/**
 * A corpus of `events` real records: the CloudTrail log files of `sourceDir` (Invictus: one account's
 * hour of normal traffic with an attack simulation in it) read in time order and repeated, each
 * repetition moved later by the span of the whole set plus a minute, with its own eventIDs (the
 * last 12 hex digits carry the repetition), in gzip files of 1,000 records. The records keep their
 * real shapes and sizes (request parameters, response elements, user agents: ~1,260 bytes a record
 * against the generator's ~850), so the floor and replay are measured on what CloudTrail writes. The
 * attack repeats with the set, so the findings are those of an attack-dense archive, not routine.
 * Undefined when `sourceDir` has no records.
 */
export function resampleCorpus(sourceDir: string, dir: string, events: number): { files: number; bytes: number; sourceRecords: number } | undefined {
  const records: Array<Record<string, unknown>> = [];
  for (const f of readdirSync(sourceDir).sort()) {
    if (!/\.json(\.gz)?$/.test(f)) continue;
    const buf = readFileSync(join(sourceDir, f));
    const doc = JSON.parse((f.endsWith('.gz') ? gunzipSync(buf) : buf).toString('utf8')) as { Records?: Array<Record<string, unknown>> };
    for (const r of doc.Records ?? []) if (typeof r['eventTime'] === 'string' && typeof r['eventID'] === 'string') records.push(r);
  }
  if (records.length === 0) return undefined;
  const time = (r: Record<string, unknown>) => Date.parse(r['eventTime'] as string);
  records.sort((a, b) => time(a) - time(b));
  const span = time(records[records.length - 1] as Record<string, unknown>) - time(records[0] as Record<string, unknown>) + 60_000;
  let bytes = 0;
  let files = 0;
  for (let i = 0; i < events; i += 1000) {
    const out: Array<Record<string, unknown>> = [];
    for (let j = i; j < Math.min(i + 1000, events); j++) {
      const cycle = Math.floor(j / records.length);
      const source = records[j % records.length] as Record<string, unknown>;
      const id = source['eventID'] as string;
      out.push({
        ...source,
        eventID: `${id.slice(0, Math.max(0, id.length - 12))}${cycle.toString(16).padStart(12, '0')}`,
        eventTime: new Date(time(source) + cycle * span).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      });
    }
    const gz = gzipSync(JSON.stringify({ Records: out }));
    writeFileSync(join(dir, `resampled_${String(files).padStart(5, '0')}.json.gz`), gz);
    bytes += gz.length;
    files++;
  }
  return { files, bytes, sourceRecords: records.length };
}

// ---------------------------------------------------------------------------------------------
// Measuring: each figure in a fresh process (cwd = project root), wall time and CPU time.
// ---------------------------------------------------------------------------------------------

/** What one measured child reports. `cpuMs` is user + system time of the whole process (every thread). */
export interface ReplayFigures {
  events: number;
  skipped: number;
  findings: number;
  /** sha256 of the findings as replay returns them (sorted): equal digests mean the same findings, not just as many. */
  findingsDigest: string;
  ms: number;
  cpuMs: number;
  maxRssMB: number;
  workers: number;
  /**
   * With `--again`: a second replay of the same files in the same process, with new processors
   * (so no detection state carries over), after the one above. The code is then warm (V8 has
   * compiled it) and the per-process caches are full (interned strings, parsed-policy memos): what
   * the first run pays beyond this is the start-up of a process, not work per event.
   */
  againMs?: number;
  againCpuMs?: number;
  /** 1 when the second replay gave the same findings (digest) as the first. */
  againSameFindings?: number;
}

/**
 * The child side of a replay measurement (`bench.ts --child-replay <dir> [--workers N]`): replays
 * `dir` the way the CLI does (replayFiles, detections + stream processors) and prints the figures.
 */
export async function childReplayMain(dir: string, workers: number, again = false): Promise<void> {
  const { detections } = await import('../shared/detections/index.ts');
  const { replayFiles } = await import('../shared/pipeline/replay.ts');
  const { createReplayProcessors } = await import('../shared/pipeline/processors.ts');
  const processors = await createReplayProcessors({});
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const result = await replayFiles([dir], { detections, processors, workers });
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(c0);
  const figures: ReplayFigures = {
    events: result.counts.eventsProcessed,
    skipped: result.counts.eventsSkipped,
    findings: result.findings.length,
    findingsDigest: createHash('sha256').update(JSON.stringify(result.findings)).digest('hex'),
    ms,
    cpuMs: (cpu.user + cpu.system) / 1000,
    maxRssMB: process.resourceUsage().maxRSS / 1024,
    workers,
  };
  if (again) {
    const fresh = await createReplayProcessors({});
    const c1 = process.cpuUsage();
    const t1 = performance.now();
    const second = await replayFiles([dir], { detections, processors: fresh, workers });
    figures.againMs = performance.now() - t1;
    const cpu1 = process.cpuUsage(c1);
    figures.againCpuMs = (cpu1.user + cpu1.system) / 1000;
    figures.againSameFindings = createHash('sha256').update(JSON.stringify(second.findings)).digest('hex') === figures.findingsDigest ? 1 : 0;
  }
  process.stdout.write(JSON.stringify(figures));
}

/** The floor: read, gunzip and JSON.parse every file of `dir` and do nothing else, in a fresh process. */
const FLOOR_SCRIPT = `
  const { readdirSync, readFileSync } = require('node:fs');
  const { gunzipSync } = require('node:zlib');
  const dir = process.argv[1];
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  let events = 0;
  for (const f of readdirSync(dir).sort()) {
    const buf = readFileSync(dir + '/' + f);
    const doc = JSON.parse((f.endsWith('.gz') ? gunzipSync(buf) : buf).toString('utf8'));
    events += Array.isArray(doc.Records) ? doc.Records.length : 0;
  }
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(c0);
  process.stdout.write(JSON.stringify({ events, ms, cpuMs: (cpu.user + cpu.system) / 1000, maxRssMB: process.resourceUsage().maxRSS / 1024 }));
`;

export function measureFloor(dir: string): { events: number; ms: number; cpuMs: number; maxRssMB: number } {
  const out = spawnSync(process.execPath, ['-e', FLOOR_SCRIPT, dir], { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
  if (out.status !== 0) throw new Error(`floor child failed: ${out.stderr}`);
  return JSON.parse(out.stdout) as ReturnType<typeof measureFloor>;
}

/** One replay of `dir` in a fresh process through `bench.ts --child-replay`. */
export function measureReplay(benchScript: string, root: string, dir: string, workers: number, extraNodeArgs: string[] = [], again = false): ReplayFigures {
  const out = spawnSync(process.execPath, [...extraNodeArgs, '--import', 'tsx', benchScript, '--child-replay', dir, '--workers', String(workers), ...(again ? ['--again'] : [])], { cwd: root, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (out.status !== 0) throw new Error(`replay child failed: ${out.stderr}`);
  return JSON.parse(out.stdout) as ReplayFigures;
}

/**
 * Builds (or finds) the worker threads' bundle before the worker rows are timed, as a first
 * `--workers` replay after a source change would (shared/pipeline/worker-bundle.ts): the bench
 * reports that one-time cost apart, and the timed children find the bundle in the cache.
 */
export async function prepareWorkerBundle(): Promise<{ ms: number; built: boolean; bundled: boolean }> {
  const { replayWorkerEntry } = await import('../shared/pipeline/worker-bundle.ts');
  const t0 = performance.now();
  const entry = await replayWorkerEntry();
  return { ms: performance.now() - t0, built: entry.built, bundled: entry.bundled };
}

/** Worker counts the bench shows: 1, 2 and N (the machine's parallelism, or 4 when that is 2 or less, to show what oversubscription does). */
export function workerCounts(): number[] {
  const n = availableParallelism();
  return [...new Set([1, 2, n > 2 ? n : 4])];
}

/**
 * The run of median wall time among `runs` (its own CPU, memory and findings with it, not a mix of
 * runs): one measurement swings by a fifth on a shared machine, a median of interleaved runs much
 * less. An even count takes the faster of the two middle runs.
 */
export function medianRun<T extends { ms: number }>(runs: readonly T[]): T {
  if (runs.length === 0) throw new Error('medianRun: no runs');
  const sorted = [...runs].sort((a, b) => a.ms - b.ms);
  return sorted[Math.floor((sorted.length - 1) / 2)] as T;
}

/**
 * The floor and a single-threaded replay of `dir`, `runs` times each, interleaved (floor, replay,
 * floor, replay…: a drift in the machine's speed affects both alike), each in a fresh process; the
 * median run of each. Every replay must give the same findings (digest), or this throws.
 */
export function floorAndReplayRuns(benchScript: string, root: string, dir: string, runs: number): { floor: ReturnType<typeof measureFloor>; replay: ReplayFigures; runs: number; replayMs: number[]; floorMs: number[] } {
  const floors: Array<ReturnType<typeof measureFloor>> = [];
  const replays: ReplayFigures[] = [];
  for (let i = 0; i < Math.max(1, runs); i++) {
    floors.push(measureFloor(dir));
    replays.push(measureReplay(benchScript, root, dir, 0, [], true));
  }
  const digests = new Set(replays.map((r) => r.findingsDigest));
  if (digests.size !== 1) throw new Error(`replays of ${dir} gave different findings from run to run: ${[...digests].join(', ')}`);
  if (replays.some((r) => r.againSameFindings === 0)) throw new Error(`a second replay of ${dir} in the same process gave different findings from the first`);
  return { floor: medianRun(floors), replay: medianRun(replays), runs: replays.length, replayMs: replays.map((r) => Math.round(r.ms)), floorMs: floors.map((f) => Math.round(f.ms)) };
}

export const perSecond = (events: number, ms: number): number => Math.round((events / Math.max(ms, 1e-9)) * 1000);

/** Events per second of wall time and per CPU-second of a measured run. */
export function rates(r: { events: number; ms: number; cpuMs: number }): { eventsPerSecond: number; eventsPerCpuSecond: number } {
  return { eventsPerSecond: perSecond(r.events, r.ms), eventsPerCpuSecond: perSecond(r.events, r.cpuMs) };
}

/** What one whole CLI process cost, from the operating system's accounting (`/usr/bin/time`). */
export interface CliFigures {
  /** `bundle`: shared/cli/trailwatch.mjs as users run it (the cached bundle); `sources`: TRAILWATCH_BUNDLE=0 (tsx). */
  mode: 'bundle' | 'sources';
  exitCode: number;
  ms: number;
  cpuMs: number;
  maxRssMB: number;
}

/**
 * `trailwatch replay <dir> --format json --quiet` as a whole process, start to exit, from the cached
 * bundle or from the sources through tsx: what a user waits for, start-up included (the in-window
 * rows above leave it out). Undefined where there is no `/usr/bin/time` to account for it.
 */
export function measureCli(root: string, dir: string, mode: CliFigures['mode']): CliFigures | undefined {
  const time = '/usr/bin/time';
  if (!existsSync(time)) return undefined;
  const work = mkdtempSync(join(tmpdir(), 'trailwatch-cli-bench-'));
  try {
    const out = join(work, 'time.txt');
    const env = { ...process.env, NO_COLOR: '1', ...(mode === 'sources' ? { TRAILWATCH_BUNDLE: '0' } : {}) };
    const run = spawnSync(time, ['-f', '%e %U %S %M', '-o', out, process.execPath, join(root, 'shared', 'cli', 'trailwatch.mjs'), 'replay', dir, '--format', 'json', '--quiet'], { cwd: root, env, stdio: 'ignore' });
    const [wall, user, sys, rssKB] = (readFileSync(out, 'utf8').trim().split('\n').pop() ?? '').split(' ').map(Number) as [number, number, number, number];
    return { mode, exitCode: run.status ?? -1, ms: wall * 1000, cpuMs: (user + sys) * 1000, maxRssMB: rssKB / 1024 };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
