/**
 * `npm run bench [-- --json] [-- --events N] [-- --runs N]`: Trailwatch's numbers.
 * `npm run bench -- noise [--days N] [--per-day N] [--seed N] [--no-mfa-replacement] [--config FILE]`: pages and Slack messages per day on
 *  a generated benign organization, and attack recall (scripts/bench-noise.ts, docs/noise.md).
 *  1. replay throughput (events/s) and peak RSS on a generated corpus (≥ 100,000 mixed, realistic
 *     CloudTrail records in gzip log files) and on the Invictus data set, each in a fresh process;
 *  2. bundle size per Lambda function (esbuild, the options serverless.yml uses: entry and total)
 *     and zip size from the last `serverless package`;
 *  3. cold start per function (scripts/bench-coldstart.ts; alone: `npm run bench -- cold-start`):
 *     a fresh Node process importing the bundle and, for detect, handling an alerting and a quiet
 *     event against a local AWS stub, vs the same handler from TypeScript through tsx; median of N;
 *  4. the policy and API-rate benchmarks when their scripts exist.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const INVICTUS = join(ROOT, '..', 'shared', 'external', 'invictus');
const args = process.argv.slice(2);
const flag = (name: string) => args.includes(name);
const option = (name: string, fallback: number) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] ? Number(args[i + 1]) : fallback;
};

// ---------------------------------------------------------------------------------------------
// `npm run bench -- noise`: pages and Slack messages on a benign organization (scripts/bench-noise.ts).
// ---------------------------------------------------------------------------------------------
if (args[0] === 'noise') {
  const { benchNoise, formatNoise } = await import('./bench-noise.ts');
  const mfaReplacement = !flag('--no-mfa-replacement');
  const at = args.indexOf('--config');
  const config = at >= 0 ? args[at + 1] : undefined;
  const report = await benchNoise({ days: option('--days', 8), perDay: option('--per-day', 180_000), seed: option('--seed', 7), mfaReplacement, ...(config ? { config } : {}) });
  const label = `${config ? `tuning ${config}` : 'zero configuration'}${mfaReplacement ? '' : ', without the MFA-replacement processor'}`;
  process.stdout.write(flag('--json') ? `${JSON.stringify(report, null, 2)}\n` : `${formatNoise(report, label)}\n`);
  process.exit(0);
}

// `npm run bench -- cold-start [--runs N] [--json]`: only the bundles and cold starts (scripts/bench-coldstart.ts).
if (args[0] === 'cold-start') {
  const { benchColdStarts, formatColdStarts } = await import('./bench-coldstart.ts');
  const work = mkdtempSync(join(tmpdir(), 'trailwatch-bench-'));
  try {
    const rows = await benchColdStarts({ runs: option('--runs', 7), work, log: (s) => process.stderr.write(`${s}\n`), packageFirst: !flag('--no-package') });
    process.stdout.write(flag('--json') ? `${JSON.stringify(rows, null, 2)}\n` : `${formatColdStarts(rows).join('\n')}\n`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  process.exit(0);
}

// ---------------------------------------------------------------------------------------------
// Child mode: one replay in this fresh process, figures printed as JSON.
// ---------------------------------------------------------------------------------------------
if (flag('--child-replay')) {
  const dir = args[args.indexOf('--child-replay') + 1] as string;
  const { detections } = await import('../shared/detections/index.ts');
  const { readPaths } = await import('../shared/input/files.ts');
  const { replayRecords } = await import('../shared/pipeline/replay.ts');
  const { createReplayProcessors } = await import('../shared/pipeline/processors.ts');
  const t0 = performance.now();
  const result = await replayRecords(readPaths([dir]), { detections, processors: await createReplayProcessors({}) });
  const ms = performance.now() - t0;
  process.stdout.write(
    JSON.stringify({ events: result.counts.eventsProcessed, skipped: result.counts.eventsSkipped, findings: result.findings.length, ms, maxRssMB: process.resourceUsage().maxRSS / 1024 }),
  );
  process.exit(0);
}

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

function generateCorpus(dir: string, events: number): { files: number; bytes: number } {
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

function childReplay(dir: string): { events: number; skipped: number; findings: number; ms: number; maxRssMB: number } {
  const out = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--child-replay', dir], { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (out.status !== 0) throw new Error(`replay child failed: ${out.stderr}`);
  return JSON.parse(out.stdout) as ReturnType<typeof childReplay>;
}

// ---------------------------------------------------------------------------------------------
// Bundles and cold starts: scripts/bench-coldstart.ts (entry and total size, zip, cold start on an
// alerting and a quiet event, the target beside them).
// ---------------------------------------------------------------------------------------------

// ---------------------------------------------------------------------------------------------
// Main.
// ---------------------------------------------------------------------------------------------
const json = flag('--json');
const log = (s: string) => {
  if (!json) process.stderr.write(`${s}\n`);
};
const results: Record<string, unknown> = { node: process.version, platform: `${process.platform}/${process.arch}` };
const work = mkdtempSync(join(tmpdir(), 'trailwatch-bench-'));
try {
  const n = Math.max(option('--events', 100_000), 1);
  log(`generating ${n} events…`);
  const corpusDir = join(work, 'corpus');
  mkdirSync(corpusDir);
  const corpus = generateCorpus(corpusDir, n);
  log('replaying the generated corpus…');
  const gen = childReplay(corpusDir);
  results['replayGenerated'] = { ...gen, files: corpus.files, gzBytes: corpus.bytes, eventsPerSecond: Math.round((gen.events / gen.ms) * 1000) };
  if (existsSync(INVICTUS)) {
    log('replaying Invictus…');
    const inv = childReplay(INVICTUS);
    results['replayInvictus'] = { ...inv, eventsPerSecond: Math.round((inv.events / inv.ms) * 1000) };
  }

  log('bundling and measuring cold starts…');
  const { benchColdStarts } = await import('./bench-coldstart.ts');
  const functions = await benchColdStarts({ runs: option('--runs', 7), work, log });
  results['functions'] = functions;

  for (const [name, file, fn] of [
    ['policy', 'bench-policy.ts', 'benchPolicy'],
    ['rates', 'bench-rates.ts', 'benchRates'],
  ] as const) {
    const path = join(ROOT, 'scripts', file);
    if (!existsSync(path)) continue;
    log(`running ${fn}()…`);
    const mod = (await import(pathToFileURL(path).href)) as Record<string, () => Promise<unknown>>;
    const run = mod[fn];
    if (typeof run === 'function') results[name] = await run();
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}

if (json) {
  process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
} else {
  const out: string[] = [`Trailwatch benchmark (${results['node']}, ${results['platform']})`, ''];
  const replayRow = (label: string, r: Record<string, number> | undefined) =>
    r ? `${label.padEnd(28)} ${String(r['events']).padStart(8)} events  ${String(Math.round(r['ms'] ?? 0)).padStart(7)} ms  ${String(r['eventsPerSecond']).padStart(8)} events/s  peak RSS ${Math.round(r['maxRssMB'] ?? 0)} MB  ${r['findings']} findings` : undefined;
  out.push('Replay (fresh process, detections + stream processors):');
  out.push(replayRow('  generated corpus (.json.gz)', results['replayGenerated'] as Record<string, number>) ?? '');
  const inv = replayRow('  invictus (55 log files)', results['replayInvictus'] as Record<string, number> | undefined);
  if (inv) out.push(inv);
  const { formatColdStarts } = await import('./bench-coldstart.ts');
  out.push('', ...formatColdStarts(results['functions'] as Awaited<ReturnType<typeof import('./bench-coldstart.ts').benchColdStarts>>));
  for (const k of ['policy', 'rates']) if (results[k]) out.push('', `${k}:`, ...Object.entries(results[k] as Record<string, unknown>).map(([key, v]) => `  ${key.padEnd(24)} ${typeof v === 'number' ? Math.round(v * 100) / 100 : JSON.stringify(v)}`));
  process.stdout.write(`${out.join('\n')}\n`);
}
