import { BASELINE_IDS } from '../../shared/baseline/behaviours.ts';
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Finding } from '../../shared/model/types.ts';
import { matchesPattern } from '../../shared/pipeline/event-pattern.ts';
import { deployedResources } from '../helpers/cfn-conditions.ts';
import { EVENTS_DIR, ROOT } from '../helpers/events.ts';
import { ensurePackaged, PACKAGE_DIR, packagedTemplate } from '../helpers/packaged.ts';
import { sampleEvents } from '../helpers/trail-events.ts';
import { CreateTableCommand, waitUntilTableExists } from '@aws-sdk/client-dynamodb';
import { startRateTable } from '../rates/dynalite.ts';

/**
 * The packaged bundles themselves — the `.mjs` inside each zip `serverless package` writes, unzipped
 * into an empty folder outside the repository (no node_modules to fall back on), run by plain Node
 * (this machine's Node 20) — against `trailwatch replay` on the same sample events.
 *
 * Every sample goes through the packaged template's detect rules (their EventPattern and their
 * InputTransformer), so the detect bundle sees exactly what EventBridge would hand it. Its AWS
 * clients talk to a stub on 127.0.0.1 (port 0) that records what the bundle publishes; the
 * findings bus entries are compared with replay's JSON findings.
 */
const run = promisify(execFile);
const work = mkdtempSync(join(tmpdir(), 'tw-bundles-'));
const STACK = 'trailwatch-prod'; // the samples' self-protection events name trailwatch-prod-* resources
const TOPIC = `arn:aws:sns:us-east-1:111122223333:${STACK}-alerts`;

type Resource = { Type: string; Condition?: string; Properties: Record<string, unknown> };

/** The one way Lambda and replay may differ: Lambda fetches customer-managed policy documents, replay cannot. */
function comparable(f: Finding): unknown {
  const analysis = f.details['analysis'] as Record<string, unknown> | undefined;
  if (f.detection !== 'policy-changed' || !analysis || !['pending-fetch', 'content-unknown'].includes(String(analysis['status']))) return canonical(f);
  const { status: _s, note: _n, ...rest } = analysis;
  return canonical({ ...f, details: { ...f.details, analysis: rest } });
}

/**
 * JSON with sorted keys, so key order never makes two equal findings differ. `route` is compared;
 * `routeReason` is not: its novelty wording ("first time…" / "first seen just now") depends on the
 * order the invocations arrive in, and test/routing/parity.test.ts checks it in a fixed order.
 */
function canonical(value: unknown): string {
  if (value && typeof value === 'object' && 'routeReason' in value) {
    const { routeReason: _r, ...rest } = value as Record<string, unknown>;
    value = rest;
  }
  const sort = (v: unknown): unknown =>
    Array.isArray(v) ? v.map(sort) : v && typeof v === 'object' ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, sort((v as Record<string, unknown>)[k])])) : v;
  return JSON.stringify(sort(value));
}

/** Minimal AWS API stub: records PutEvents entries and SNS messages, accepts metrics, refuses IAM. */
function startStub(): Promise<{ server: Server; url: string; busEntries: Finding[]; snsMessages: number; calls: string[] }> {
  const state = { busEntries: [] as Finding[], snsMessages: 0, calls: [] as string[] };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const target = String(req.headers['x-amz-target'] ?? '');
      if (target === 'AWSEvents.PutEvents') {
        const entries = (JSON.parse(body) as { Entries: Array<{ Detail: string }> }).Entries;
        state.calls.push('PutEvents');
        for (const e of entries) state.busEntries.push(JSON.parse(e.Detail) as Finding);
        res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
        res.end(JSON.stringify({ FailedEntryCount: 0, Entries: entries.map((_, i) => ({ EventId: `ev-${state.busEntries.length}-${i}` })) }));
        return;
      }
      if (target.endsWith('.PutMetricData')) {
        state.calls.push('PutMetricData');
        res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' });
        res.end('{}');
        return;
      }
      const form = new URLSearchParams(body);
      const action = form.get('Action') ?? '';
      state.calls.push(action || `${req.method} ${req.url}`);
      if (action === 'PublishBatch') {
        const ids = [...form.keys()].filter((k) => /^PublishBatchRequestEntries\.member\.\d+\.Id$/.test(k)).map((k) => form.get(k) ?? '');
        state.snsMessages += ids.length;
        res.writeHead(200, { 'content-type': 'text/xml' });
        res.end(
          `<PublishBatchResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishBatchResult><Successful>${ids.map((id) => `<member><Id>${id}</Id><MessageId>m-${id}</MessageId></member>`).join('')}</Successful><Failed/></PublishBatchResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></PublishBatchResponse>`,
        );
        return;
      }
      // IAM (the policy enricher's GetPolicy/GetPolicyVersion): denied, as for a role without the grant.
      res.writeHead(403, { 'content-type': 'text/xml' });
      res.end('<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>stub denies</Message></Error><RequestId>r</RequestId></ErrorResponse>');
    });
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve(Object.assign(state, { server, url: `http://127.0.0.1:${port}` }));
    });
  });
}

function unzip(zip: string, into: string): void {
  const out = spawnSync('python3', ['-m', 'zipfile', '-e', zip, into], { encoding: 'utf8' });
  if (out.status !== 0) throw new Error(`could not unzip ${zip}: ${out.stderr}`);
}

/** Runs in a fresh Node process: imports the bundle and invokes its handler once per input. */
const DRIVER = `
import { readFileSync, writeFileSync } from 'node:fs';
const [bundle, inputsFile, outFile, exportName] = process.argv.slice(2);
const mod = await import(bundle);
const inputs = JSON.parse(readFileSync(inputsFile, 'utf8'));
const results = [];
for (const [i, { label, input }] of inputs.entries()) {
  const context = { functionName: 'trailwatch-prod-detect', functionVersion: '$LATEST', invokedFunctionArn: 'arn:aws:lambda:us-east-1:111122223333:function:trailwatch-prod-detect', memoryLimitInMB: '256', awsRequestId: 'req-' + i, logGroupName: '/aws/lambda/trailwatch-prod-detect', logStreamName: 's', getRemainingTimeInMillis: () => 30000, callbackWaitsForEmptyEventLoop: true };
  try { results.push({ label, result: await mod[exportName](input, context) }); }
  catch (error) { results.push({ label, error: String(error && error.stack || error) }); }
}
writeFileSync(outFile, JSON.stringify({ exports: Object.keys(mod), results }));
`;

async function runBundle(fn: string, inputs: Array<{ label: string; input: unknown }>, env: Record<string, string>, exportName = 'handler') {
  const dir = join(work, fn);
  unzip(join(PACKAGE_DIR, `${fn}.zip`), dir);
  const driver = join(work, 'driver.mjs');
  writeFileSync(driver, DRIVER);
  const inputsFile = join(work, `${fn}-inputs.json`);
  const outFile = join(work, `${fn}-out.json`);
  writeFileSync(inputsFile, JSON.stringify(inputs));
  const file = fn === 'notifyFlush' || fn === 'notifyRedrive' ? 'notify' : fn === 'mfaSweep' ? 'rates' : fn;
  await run(process.execPath, [driver, pathToFileURL(join(dir, 'functions', `${file}.mjs`)).href, inputsFile, outFile, exportName], {
    cwd: dir,
    env: { PATH: process.env['PATH'] ?? '', NODE_OPTIONS: '--enable-source-maps', ...env },
    maxBuffer: 256 * 1024 * 1024,
  });
  return JSON.parse(readFileSync(outFile, 'utf8')) as { exports: string[]; results: Array<{ label: string; result?: Record<string, unknown>; error?: string }> };
}

/** What every bundle needs to reach the stub instead of AWS, and the stack's configuration. */
function lambdaEnv(stubUrl: string): Record<string, string> {
  return {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'AKIASTUBSTUBSTUBSTUB',
    AWS_SECRET_ACCESS_KEY: 'stub',
    AWS_ENDPOINT_URL: stubUrl,
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_CONFIG_FILE: join(work, 'no-config'),
    AWS_SHARED_CREDENTIALS_FILE: join(work, 'no-credentials'),
    POWERTOOLS_SERVICE_NAME: 'trailwatch',
    POWERTOOLS_LOG_LEVEL: 'ERROR',
    TRAILWATCH_STAGE: 'prod',
    TRAILWATCH_STACK_NAME: STACK,
    TRAILWATCH_METRICS_NAMESPACE: 'Trailwatch',
    TRAILWATCH_FUNCTION_PREFIX: `${STACK}-`,
    TRAILWATCH_RULE_PREFIX: `${STACK}-`,
    TRAILWATCH_TOPIC_ARNS: TOPIC,
    TRAILWATCH_ALERTS_TOPIC_ARN: TOPIC,
    TRAILWATCH_FINDINGS_BUS_NAME: `${STACK}-findings`,
  };
}

afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Findings replay's MFA-replacement processor raises (the rates function and its sweep raise them when deployed). */
/** The baseline behaviours (shared/baseline) run in the rates function too. */
const BASELINE_IDS_SET = new Set<string>(BASELINE_IDS);
const fromMfaJudgement = (f: Finding): boolean => f.detection === 'mfa-deactivated' && f.eventId.endsWith('-not-replaced');

/** The MFA-replacement window the packaged template gives a function (detect defers, rates judges: docs/noise.md). */
function deployedMfaEnv(template: { Resources: Record<string, Resource> }, logicalId: string): Record<string, string> {
  const vars = (template.Resources[logicalId]?.Properties['Environment'] as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {};
  const minutes = vars['TRAILWATCH_MFA_REPLACEMENT_MINUTES'];
  return minutes === undefined ? {} : { TRAILWATCH_MFA_REPLACEMENT_MINUTES: String(minutes) };
}

/** The novelty model's table (routing, docs/tuning.md) on dynalite: the bundles route as deployed. */
async function noveltyEnv(): Promise<{ table: Awaited<ReturnType<typeof startRateTable>>; env: Record<string, string> }> {
  const table = await startRateTable('trailwatch-prod-novelty');
  await waitUntilTableExists({ client: table.client, maxWaitTime: 60 }, { TableName: 'trailwatch-prod-novelty' });
  const endpoint = await table.client.config.endpoint?.();
  return { table, env: { AWS_ENDPOINT_URL_DYNAMODB: `http://${endpoint?.hostname}:${endpoint?.port}`, TRAILWATCH_NOVELTY_TABLE: 'trailwatch-prod-novelty' } };
}

describe('packaged bundles against trailwatch replay', () => {
  let stub: Awaited<ReturnType<typeof startStub>>;
  let novelty: Awaited<ReturnType<typeof noveltyEnv>>;
  let detectRun: Awaited<ReturnType<typeof runBundle>>;
  let inputs: Array<{ label: string; input: unknown }>;
  let replayFindings: Finding[];

  beforeAll(async () => {
    ensurePackaged();
    const template = packagedTemplate<{ Resources: Record<string, Resource> }>();
    // Only what an account-mode deployment creates: organization-mode central rules are left out.
    const rules = Object.values(deployedResources(template)).filter(
      (r) => r.Type === 'AWS::Events::Rule' && ((r.Properties['Targets'] as Array<{ Arn: unknown }>) ?? []).some((t) => JSON.stringify(t.Arn).includes('DetectLambdaFunction')),
    );
    // One invocation per (sample, matching rule), with that rule's own target input.
    // In event-time order, as a live stream delivers them: the novelty model (routing) is stateful.
    const eventTime = (e: Record<string, unknown>): number => Date.parse(String((e['detail'] as Record<string, unknown> | undefined)?.['eventTime'] ?? e['time']));
    const inTimeOrder = sampleEvents()
      .map((s, i) => ({ s, i }))
      .sort((a, b) => eventTime(a.s.event) - eventTime(b.s.event) || a.i - b.i)
      .map((x) => x.s);
    inputs = inTimeOrder.flatMap(({ label, event }) =>
      rules
        .filter((r) => matchesPattern(r.Properties['EventPattern'], event))
        .map((r) => {
          const template = (r.Properties['Targets'] as Array<{ InputTransformer: { InputTemplate: string } }>)[0]!.InputTransformer.InputTemplate;
          return { label: `${label} via ${String(r.Properties['Name'])}`, input: JSON.parse(template.replace('<aws.events.event.json>', JSON.stringify(event))) as unknown };
        }),
    );
    stub = await startStub();
    const replay = run(process.execPath, [join(ROOT, 'shared', 'cli', 'trailwatch.mjs'), 'replay', EVENTS_DIR, '--format', 'json', '--no-rates', '--no-baseline'], { cwd: ROOT, maxBuffer: 256 * 1024 * 1024 });
    novelty = await noveltyEnv();
    expect(deployedMfaEnv(template, 'DetectLambdaFunction')).toEqual({ TRAILWATCH_MFA_REPLACEMENT_MINUTES: '15' });
    detectRun = await runBundle('detect', inputs, { ...lambdaEnv(stub.url), ...novelty.env, ...deployedMfaEnv(template, 'DetectLambdaFunction') });
    // What detect itself publishes: the MFA judgement's pages come from the rates bundle (below).
    replayFindings = (await replay).stdout
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as Finding)
      .filter((f) => !fromMfaJudgement(f));
  }, 300_000);

  afterAll(async () => {
    stub?.server.close();
    await novelty?.table.stop();
  });

  it('the detect bundle handles every routed sample without an error', () => {
    expect(inputs.length).toBeGreaterThan(90);
    expect(detectRun.results.filter((r) => r.error).map((r) => `${r.label}: ${r.error}`)).toEqual([]);
    expect(detectRun.results).toHaveLength(inputs.length);
  });

  it('publishes exactly the findings replay reports, each once (only volatile or fetch-only fields ignored)', () => {
    const fromBundle = stub.busEntries.map(comparable).sort();
    const fromReplay = replayFindings.map(comparable).sort();
    expect(fromReplay.length).toBeGreaterThan(60);
    const missing = fromReplay.filter((f) => !fromBundle.includes(f));
    const extra = fromBundle.filter((f) => !fromReplay.includes(f));
    expect({ missing, extra }).toEqual({ missing: [], extra: [] });
    expect(fromBundle).toEqual(fromReplay);
    // Each finding also went to the alerts topic once.
    expect(stub.snsMessages).toBe(stub.busEntries.length);
  });

  it('has the action catalogue inside the bundle: unknown-action is found and a public GetBucketAcl grant stays high, as in replay', () => {
    const pick = (list: Finding[], eventId: string) => list.find((f) => f.eventId === eventId);
    const unknownAction = JSON.parse(readFileSync(join(EVENTS_DIR, 'policy-changed', 'positive-put-role-policy-unknown-action.json'), 'utf8')) as { detail: { eventID: string } };
    const aclRead = JSON.parse(readFileSync(join(EVENTS_DIR, 'policy-changed', 'positive-bucket-policy-public-acl-read.json'), 'utf8')) as { detail: { eventID: string } };
    const ids = (f: Finding | undefined) => ((f?.details['analysis'] as { findings?: Array<{ id: string }> } | undefined)?.findings ?? []).map((x) => x.id);
    const bundleUnknown = pick(stub.busEntries, unknownAction.detail.eventID);
    expect(ids(bundleUnknown)).toContain('unknown-action');
    expect(bundleUnknown?.severity).toBe(pick(replayFindings, unknownAction.detail.eventID)?.severity);
    const bundleAcl = pick(stub.busEntries, aclRead.detail.eventID);
    expect(bundleAcl?.severity).toBe('high');
    expect(bundleAcl?.severity).toBe(pick(replayFindings, aclRead.detail.eventID)?.severity);
  });

  it('every other bundle loads on this Node outside the repository and exports its handler', async () => {
    for (const [fn, exportName] of [
      ['notify', 'handler'],
      ['notifyFlush', 'flush'],
      ['notifyRedrive', 'redrive'],
      ['rates', 'handler'],
      ['mfaSweep', 'mfaSweep'],
    ] as const) {
      const out = await runBundle(fn, [], { AWS_REGION: 'us-east-1' }, exportName);
      expect(out.exports, fn).toContain(exportName);
    }
  }, 300_000);
});

describe('the packaged rates bundle against trailwatch replay', () => {
  let stub: Awaited<ReturnType<typeof startStub>>;
  let table: Awaited<ReturnType<typeof startRateTable>>;
  let ratesRun: Awaited<ReturnType<typeof runBundle>>;
  let sweepRun: Awaited<ReturnType<typeof runBundle>>;
  let fromBatches: Finding[] = [];
  let replayFindings: Finding[];
  let delivered = 0;

  beforeAll(async () => {
    ensurePackaged();
    const template = packagedTemplate<{ Resources: Record<string, Resource> }>();
    const ratesPattern = template.Resources['RatesRule']!.Properties['EventPattern'];
    // What the rates rule puts on the queue, in event-time order, as SQS batches (SentTimestamp a
    // second after the event, as a live delivery would have it).
    const events = sampleEvents()
      .map((s) => s.event)
      .filter((e) => matchesPattern(ratesPattern, e))
      .sort((a, b) => Date.parse(String((a['detail'] as Record<string, unknown>)['eventTime'])) - Date.parse(String((b['detail'] as Record<string, unknown>)['eventTime'])));
    delivered = events.length;
    const batches: Array<{ label: string; input: unknown }> = [];
    for (let i = 0; i < events.length; i += 500) {
      const Records = events.slice(i, i + 500).map((e, j) => ({
        messageId: `m-${i + j}`,
        body: JSON.stringify(e),
        attributes: { SentTimestamp: String(Date.parse(String((e['detail'] as Record<string, unknown>)['eventTime'])) + 1000) },
        eventSource: 'aws:sqs',
      }));
      batches.push({ label: `batch ${i / 500}`, input: { Records } });
    }
    stub = await startStub();
    table = await startRateTable('trailwatch-prod-rates');
    const endpoint = await table.client.config.endpoint?.();
    // The novelty model's table beside the rate table (the rates function routes its findings).
    await table.client.send(new CreateTableCommand({ TableName: 'trailwatch-prod-novelty', BillingMode: 'PAY_PER_REQUEST', AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }], KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }] }));
    await waitUntilTableExists({ client: table.client, maxWaitTime: 60 }, { TableName: 'trailwatch-prod-novelty' });
    const replay = run(process.execPath, [join(ROOT, 'shared', 'cli', 'trailwatch.mjs'), 'replay', EVENTS_DIR, '--format', 'json'], { cwd: ROOT, maxBuffer: 256 * 1024 * 1024 });
    const ratesEnv = {
      ...lambdaEnv(stub.url),
      AWS_ENDPOINT_URL_DYNAMODB: `http://${endpoint?.hostname}:${endpoint?.port}`,
      TRAILWATCH_RATES_TABLE: 'trailwatch-prod-rates',
      RATES_SENSITIVITY: 'medium',
      TRAILWATCH_NOVELTY_TABLE: 'trailwatch-prod-novelty',
      ...deployedMfaEnv(template, 'RatesLambdaFunction'),
    };
    expect(deployedMfaEnv(template, 'RatesLambdaFunction')).toEqual(deployedMfaEnv(template, 'MfaSweepLambdaFunction'));
    ratesRun = await runBundle('rates', batches, ratesEnv);
    fromBatches = [...stub.busEntries];
    // Then the scheduled sweep (the samples are weeks old by the wall clock): whatever removal no
    // later sample settled pages now, as it would when no further event reaches the rates function.
    sweepRun = await runBundle('mfaSweep', [{ label: 'scheduled sweep', input: { source: 'aws.events', 'detail-type': 'Scheduled Event', detail: {} } }], ratesEnv, 'mfaSweep');
    replayFindings = (await replay).stdout
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as Finding)
      .filter((f) => f.detection === 'api-rate-anomaly' || f.detection === 'api-error-rate-anomaly' || fromMfaJudgement(f) || BASELINE_IDS_SET.has(f.detection));
  }, 300_000);

  afterAll(async () => {
    stub?.server.close();
    await table?.stop();
  });

  it('processes every batch of management events without a failure', () => {
    expect(delivered).toBeGreaterThan(1000);
    expect(ratesRun.results.map((r) => r.error ?? r.result)).toEqual(ratesRun.results.map(() => ({ batchItemFailures: [] })));
  });

  it('publishes the same API-rate, MFA-replacement and baseline findings as replay (the sweep adds only what no batch settled)', () => {
    expect(replayFindings.length).toBeGreaterThan(0);
    expect(sweepRun.results.map((r) => r.error ?? null)).toEqual([null]);
    expect(stub.busEntries.map(canonical).sort()).toEqual(replayFindings.map(canonical).sort());
    // The samples hold a replaced device (bob's: deactivate, delete, enable 5 minutes later) and a
    // removal never replaced (dana's): exactly the latter pages, once.
    const mfa = stub.busEntries.filter(fromMfaJudgement);
    expect(mfa.map((f) => [f.details['userName'], f.severity, f.route])).toEqual([['dana', 'high', 'page']]);
    // Every baseline behaviour reports from the bundle as from replay (its sample sequences, plus a new API of app-backend in the older samples).
    expect([...new Set(stub.busEntries.filter((f) => BASELINE_IDS_SET.has(f.detection)).map((f) => f.detection))].sort()).toEqual(['new-api-for-principal', 'signin-from-new-location', 'unusual-role-assumption']);
    expect(fromBatches.filter(fromMfaJudgement).length + (sweepRun.results[0]?.result?.['findings'] as number)).toBe(1);
  });
});
