import { PassThrough } from 'node:stream';
import { CloudWatchClient, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { PublishBatchCommand, SNSClient } from '@aws-sdk/client-sns';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { cloudTrailEventUrl } from '../../shared/alerts/format.ts';
import { buildSnsMessage } from '../../shared/alerts/sns-message.ts';
import { detections } from '../../shared/detections/index.ts';
import { FINDING_BOUNDS, boundFinding, serializeFinding, wellFormed } from '../../shared/model/finding-bounds.ts';
import type { Finding } from '../../shared/model/types.ts';
import { analyzeEvents } from '../../shared/pipeline/analyze.ts';
import { ConsoleSink } from '../../shared/sinks/console.ts';
import { EventBridgeSink } from '../../shared/sinks/eventbridge.ts';
import { SNS_MAX_BYTES, SnsSink, snsEntrySize } from '../../shared/sinks/sns.ts';
import { createDetectHandler } from '../../functions/detect.ts';
import { loadConfig } from '../../shared/config.ts';
import { createMemoryLog } from '../../shared/log.ts';
import { createEnrichers } from '../../shared/pipeline/enrichers.ts';
import { deepBucketPolicyText, deepObject, deepPolicyEvent, sample } from '../helpers/hostile.ts';

/** A real finding from a real sample (root sign-in without MFA), to damage one field at a time. */
async function realFinding(): Promise<Finding> {
  const { findings } = await analyzeEvents([{ value: sample('root-signin', 'positive-success-no-mfa') }], { detections });
  expect(findings).toHaveLength(1);
  return findings[0] as Finding;
}

const LONE = 'abc\uD800def';

describe('boundFinding: every field has a size and a type bound', () => {
  it('leaves a normal finding as it was (same JSON, no notes)', async () => {
    const f = await realFinding();
    const b = boundFinding(f);
    expect(b).toEqual(f);
    expect(b.details['bounded']).toBeUndefined();
  });

  it('shortens principal fields so an SNS message fits 256 KiB (a 300 KB session name was seen)', async () => {
    const f = await realFinding();
    const huge = 'A'.repeat(300_000);
    const hostile: Finding = { ...f, principal: { ...f.principal, arn: `arn:aws:sts::111122223333:assumed-role/R/${huge}`, name: huge, sessionIssuerArn: huge, accessKeyId: huge } };
    // Before bounding, the message SNS would get is far over its limit.
    expect(Buffer.byteLength(buildSnsMessage(hostile).Message)).toBeGreaterThan(SNS_MAX_BYTES);
    const b = boundFinding(hostile);
    expect(b.principal.arn?.length).toBeLessThanOrEqual(FINDING_BOUNDS.arn);
    expect(b.principal.name.length).toBeLessThanOrEqual(FINDING_BOUNDS.name);
    expect(b.principal.sessionIssuerArn?.length).toBeLessThanOrEqual(FINDING_BOUNDS.arn);
    expect(b.principal.accessKeyId?.length).toBeLessThanOrEqual(FINDING_BOUNDS.id);
    expect(b.details['bounded']).toEqual(expect.arrayContaining([expect.stringMatching(/^principal\.arn: shortened from 300/)]));
    const m = buildSnsMessage(b);
    expect(snsEntrySize({ Id: '0', Message: m.Message, Subject: m.Subject, MessageAttributes: m.MessageAttributes })).toBeLessThan(SNS_MAX_BYTES);
  });

  it('replaces lone surrogates, so the console link can be built (encodeURIComponent threw)', async () => {
    const f = await realFinding();
    const hostile: Finding = { ...f, eventId: LONE, title: `t${LONE}`, principal: { ...f.principal, name: LONE }, details: { [LONE]: LONE } };
    expect(() => encodeURIComponent(hostile.eventId)).toThrow(URIError);
    const b = boundFinding(hostile);
    expect(b.eventId).toBe('abc\uFFFDdef');
    expect(() => cloudTrailEventUrl(b)).not.toThrow();
    expect(Buffer.from(serializeFinding(hostile), 'utf8').toString('utf8')).not.toContain('\uD800');
    expect(b.details).toMatchObject({ 'abc\uFFFDdef': 'abc\uFFFDdef' });
    // A surrogate pair cut by shortening must not become a lone surrogate either.
    const emoji = '\u{1F600}'.repeat(FINDING_BOUNDS.title);
    const cut = boundFinding({ ...f, title: emoji }).title;
    expect(wellFormed(cut)).toBe(cut);
    expect(cut.length).toBeLessThanOrEqual(FINDING_BOUNDS.title);
  });

  it('gives a title that is not a string a readable one instead of "[object Object]"', async () => {
    const f = await realFinding();
    const b = boundFinding({ ...f, title: { text: 'x' } as unknown as string });
    expect(typeof b.title).toBe('string');
    expect(b.title).not.toContain('[object Object]');
    expect(b.title).toBe('root-signin on ConsoleLogin');
    expect(b.details['bounded']).toContain('title: was object, not a string');
  });

  it('coerces every other wrong type and drops unknown fields, noting each change', async () => {
    const f = await realFinding();
    const hostile = {
      ...f,
      severity: 'catastrophic',
      account: 111122223333,
      region: ['us-east-1'],
      sourceIp: { ip: '1.2.3.4' },
      route: 'nowhere',
      references: { cis: ['CIS 4.3', 7, 'x'.repeat(5000)], mitre: 'T1078' },
      principal: { ...f.principal, mfa: 'yes' },
      extra: 'field',
      details: { n: Number.NaN, big: 10n, fn: () => 1, when: new Date(0), nested: { ok: true } },
    };
    const b = boundFinding(hostile);
    expect(b.severity).toBe('medium');
    expect(b.account).toBe('unknown');
    expect(b.region).toBe('unknown');
    expect(b.sourceIp).toBeUndefined();
    expect(b.route).toBeUndefined();
    expect(b.references?.cis).toEqual(['CIS 4.3', `${'x'.repeat(FINDING_BOUNDS.reference - 1)}…`]);
    expect(b.references?.mitre).toBeUndefined();
    expect(b.principal.mfa).toBeUndefined();
    expect('extra' in b).toBe(false);
    expect(b.details).toMatchObject({ n: 'NaN', big: '10', when: '1970-01-01T00:00:00.000Z', nested: { ok: true } });
    expect(b.details['fn']).toBe('[function]');
    expect((b.details['bounded'] as string[]).length).toBeGreaterThanOrEqual(8);
    expect(() => JSON.parse(serializeFinding(hostile))).not.toThrow();
  });

  it('cuts details nested 5,000 levels deep, circular details, and huge arrays', async () => {
    const f = await realFinding();
    const circular: Record<string, unknown> = { name: 'loop' };
    circular['self'] = circular;
    const hostile: Finding = { ...f, details: { deep: deepObject(5000), circular, many: Array.from({ length: 5000 }, (_, i) => i) } };
    expect(() => JSON.stringify(hostile)).toThrow();
    const line = serializeFinding(hostile);
    const parsed = JSON.parse(line) as Finding;
    expect(parsed.eventId).toBe(f.eventId);
    expect(parsed.severity).toBe('critical');
    expect((parsed.details['many'] as unknown[]).length).toBe(FINDING_BOUNDS.detailsEntries);
    expect((parsed.details['circular'] as Record<string, unknown>)['self']).toBe('[circular]');
    expect(JSON.stringify(parsed.details['deep'])).toContain(`[nested deeper than ${FINDING_BOUNDS.detailsDepth} levels]`);
  });

  it('names the exact place of each change in details (keys, indexes, long keys cut at 64), after any number of siblings', async () => {
    const f = await realFinding();
    const longKey = 'k'.repeat(100);
    const big = 'x'.repeat(FINDING_BOUNDS.detailsString + 5);
    const circular: Record<string, unknown> = {};
    circular['again'] = circular;
    const details = {
      first: { a: 1, b: [1, 2, { c: 'fine' }] },
      policy: { Statement: [{ Sid: 'ok' }, { Sid: 'ok' }, { Condition: { [longKey]: big } }] },
      after: [0, [circular]],
    };
    const notes = boundFinding({ ...f, details }).details['bounded'] as string[];
    expect(notes).toEqual([`details.policy.Statement[2].Condition.${'k'.repeat(64)}: shortened from ${big.length} characters`, 'details.after[1][0].again: circular reference removed']);
  });

  it('turns a finding that cannot even be read into a reduced finding saying why', async () => {
    const f = await realFinding();
    const trap = new Proxy({ ...f }, {
      get(target, key) {
        if (key === 'details') throw new Error('getter says no');
        return Reflect.get(target, key);
      },
    });
    const b = boundFinding(trap);
    expect(b.eventId).toBe(f.eventId);
    expect(b.severity).toBe('critical');
    expect(b.details['unserialisable']).toMatch(/getter says no/);
    expect(b.details['fullRecord']).toBe(`CloudTrail event ${f.eventId}`);
    expect(boundFinding(null).details['unserialisable']).toMatch(/was null/);
  });
});

describe('every sink serialises each finding on its own: one bad finding never takes the others down', () => {
  const sns = mockClient(SNSClient);
  const bus = mockClient(EventBridgeClient);
  beforeEach(() => {
    sns.reset();
    bus.reset();
    sns.on(PublishBatchCommand).callsFake((input: { PublishBatchRequestEntries: Array<{ Id: string }> }) => ({
      Successful: input.PublishBatchRequestEntries.map((e) => ({ Id: e.Id, MessageId: `m-${e.Id}` })),
      Failed: [],
    }));
    bus.on(PutEventsCommand).callsFake((input: { Entries: unknown[] }) => ({ FailedEntryCount: 0, Entries: input.Entries.map((_, i) => ({ EventId: `e-${i}` })) }));
  });

  async function batch(): Promise<Finding[]> {
    const good = await realFinding();
    const deep: Finding = { ...good, eventId: 'deep', details: { document: deepObject(5000) } };
    const lone: Finding = { ...good, eventId: LONE };
    return [good, deep, lone, { ...good, eventId: 'last' }];
  }

  it('console (JSON Lines): four findings, four parseable lines', async () => {
    const out = new PassThrough();
    let text = '';
    out.on('data', (d: Buffer) => (text += d.toString()));
    await new ConsoleSink({ format: 'json', out }).publish(await batch());
    const lines = text.trim().split('\n').map((l) => JSON.parse(l) as Finding);
    expect(lines.map((l) => l.eventId)).toEqual(['0b6f4d2e-8a1c-4e57-b3f2-6d9e0c7a1b02', 'deep', 'abc\uFFFDdef', 'last']);
  });

  it('SNS and the findings bus: every finding delivered, none rejected', async () => {
    const findings = await batch();
    await new SnsSink(new SNSClient({ region: 'us-east-1' }), 'arn:aws:sns:us-east-1:111122223333:t').publish(findings);
    await new EventBridgeSink(new EventBridgeClient({ region: 'us-east-1' }), 'bus').publish(findings);
    const snsEntries = sns.commandCalls(PublishBatchCommand).flatMap((c) => c.args[0].input.PublishBatchRequestEntries ?? []);
    const busEntries = bus.commandCalls(PutEventsCommand).flatMap((c) => c.args[0].input.Entries ?? []);
    expect(snsEntries).toHaveLength(4);
    expect(busEntries.map((e) => (JSON.parse(e.Detail ?? '{}') as Finding).eventId)).toEqual(['0b6f4d2e-8a1c-4e57-b3f2-6d9e0c7a1b02', 'deep', 'abc\uFFFDdef', 'last']);
  });
});

describe('the detect Lambda with a policy nested 5,000 levels deep', () => {
  const sns = mockClient(SNSClient);
  const bus = mockClient(EventBridgeClient);
  const cloudwatch = mockClient(CloudWatchClient);
  beforeEach(() => {
    sns.reset();
    bus.reset();
    cloudwatch.reset();
    sns.on(PublishBatchCommand).callsFake((input: { PublishBatchRequestEntries: Array<{ Id: string }> }) => ({
      Successful: input.PublishBatchRequestEntries.map((e) => ({ Id: e.Id, MessageId: `m-${e.Id}` })),
      Failed: [],
    }));
    bus.on(PutEventsCommand).callsFake((input: { Entries: unknown[] }) => ({ FailedEntryCount: 0, Entries: input.Entries.map((_, i) => ({ EventId: `e-${i}` })) }));
    cloudwatch.on(PutMetricDataCommand).resolves({});
  });

  it('succeeds (no retry, no DLQ) and delivers the finding saying the document was refused', async () => {
    const config = loadConfig({
      TRAILWATCH_STAGE: 'test',
      TRAILWATCH_STACK_NAME: 'trailwatch-test',
      TRAILWATCH_ALERTS_TOPIC_ARN: 'arn:aws:sns:us-east-1:111122223333:alerts',
      TRAILWATCH_FINDINGS_BUS_NAME: 'findings',
      TRAILWATCH_METRICS_NAMESPACE: 'Trailwatch',
    });
    const handler = createDetectHandler({
      config,
      log: createMemoryLog(),
      sns: new SNSClient({ region: 'us-east-1' }),
      eventBridge: new EventBridgeClient({ region: 'us-east-1' }),
      cloudWatch: new CloudWatchClient({ region: 'us-east-1' }),
      enrichers: await createEnrichers({ mode: 'local' }),
    });
    for (const event of [deepPolicyEvent(5000, 'deep-inline'), JSON.parse(deepBucketPolicyText(5000, 'deep-bucket')) as unknown]) {
      const result = await handler(event);
      expect(result.detections).toEqual(['policy-changed']);
    }
    const details = bus.commandCalls(PutEventsCommand).flatMap((c) => c.args[0].input.Entries ?? []).map((e) => JSON.parse(e.Detail ?? '{}') as Finding);
    expect(details.map((f) => f.eventId)).toEqual(['deep-inline', 'deep-bucket']);
    for (const f of details) expect(f.title).toMatch(/nests deeper than 32 levels/);
    expect(sns.commandCalls(PublishBatchCommand)).toHaveLength(2);
  });
});

describe('hostile values anywhere in a sample record', () => {
  it('never give a title with "[object Object]", "undefined" or "NaN", and every finding stays within bounds', async () => {
    const { readdirSync } = await import('node:fs');
    const { EVENTS_DIR } = await import('../helpers/events.ts');
    let findings = 0;
    for (const folder of readdirSync(EVENTS_DIR).filter((f) => f !== 'traffic')) {
      for (const name of readdirSync(`${EVENTS_DIR}/${folder}`).filter((f) => f.startsWith('positive-') && f.endsWith('.json'))) {
        // (.jsonl: the baseline behaviours' sequences; their bad input is test/baseline/behaviours.test.ts's)
        const event = sample(folder, name.replace(/\.json$/, ''));
        const leaves: string[][] = [];
        const walk = (node: unknown, at: string[]): void => {
          if (typeof node === 'string') leaves.push(at);
          else if (node && typeof node === 'object') for (const [k, v] of Object.entries(node)) walk(v, [...at, k]);
        };
        walk(event.detail, []);
        for (const at of leaves) {
          for (const bad of [{ a: 1 }, ['x', 'y'], 42, `lone\uD800`]) {
            const copy = structuredClone(event);
            let node: Record<string, unknown> = copy.detail;
            for (const key of at.slice(0, -1)) node = node[key] as Record<string, unknown>;
            node[at[at.length - 1] as string] = bad;
            for (const f of (await analyzeEvents([{ value: copy }], { detections })).findings) {
              findings++;
              expect(f.title, `${folder}/${name} ${at.join('.')}`).not.toMatch(/\[object Object\]|undefined|NaN/);
              expect(() => encodeURIComponent(f.eventId)).not.toThrow();
              expect(wellFormed(f.principal.name)).toBe(f.principal.name);
            }
          }
        }
      }
    }
    expect(findings).toBeGreaterThan(1000);
  });
});
