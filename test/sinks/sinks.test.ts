import { CloudWatchClient, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { PublishBatchCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import type { Finding } from '../../shared/model/types.ts';
import { CloudWatchMetricsSink, MAX_DATUMS_PER_CALL } from '../../shared/sinks/cloudwatch.ts';
import { ConsoleSink, formatSummary, shouldColor } from '../../shared/sinks/console.ts';
import { EVENTBRIDGE_MAX_BYTES, EventBridgeSink, eventBridgeEntrySize, findingEntry } from '../../shared/sinks/eventbridge.ts';
import { batchBySize, fitFinding } from '../../shared/sinks/fit.ts';
import { SNS_MAX_BYTES, SnsSink, snsEntrySize } from '../../shared/sinks/sns.ts';
import { deliverFindings } from '../../shared/pipeline/deliver.ts';
import { MemoryMetricsSink, MemorySink } from '../../shared/sinks/memory.ts';
import { DeliveryError } from '../../shared/sinks/errors.ts';

function finding(i: number, details: Record<string, unknown> = {}): Finding {
  return {
    detection: 'policy-changed',
    severity: 'high',
    title: `alice attached a policy (#${i})`,
    eventId: `evt-${i}`,
    eventName: 'PutUserPolicy',
    eventSource: 'iam.amazonaws.com',
    time: '2026-11-20T09:00:00.000Z',
    account: '111122223333',
    region: 'us-east-1',
    principal: { type: 'IAMUser', name: 'alice', arn: 'arn:aws:iam::111122223333:user/alice' },
    details,
  };
}

const sns = mockClient(SNSClient);
const eb = mockClient(EventBridgeClient);
const cw = mockClient(CloudWatchClient);
beforeEach(() => {
  sns.reset();
  eb.reset();
  cw.reset();
  sns.on(PublishBatchCommand).callsFake((input: { PublishBatchRequestEntries: Array<{ Id: string }> }) => ({ Successful: input.PublishBatchRequestEntries.map((e) => ({ Id: e.Id })), Failed: [] }));
  eb.on(PutEventsCommand).callsFake((input: { Entries: unknown[] }) => ({ FailedEntryCount: 0, Entries: input.Entries.map(() => ({ EventId: 'x' })) }));
  cw.on(PutMetricDataCommand).resolves({});
});

describe('SnsSink', () => {
  it('publishes 25 findings as PublishBatch calls of 10, 10 and 5 with unique ids', async () => {
    await new SnsSink(new SNSClient({ region: 'us-east-1' }), 'arn:aws:sns:us-east-1:111122223333:t').publish(Array.from({ length: 25 }, (_, i) => finding(i)));
    const calls = sns.commandCalls(PublishBatchCommand).map((c) => c.args[0].input.PublishBatchRequestEntries!);
    expect(calls.map((c) => c.length)).toEqual([10, 10, 5]);
    const ids = calls.flat().map((e) => e.Id);
    expect(new Set(ids).size).toBe(25);
  });

  it('keeps every batch under the 256 KiB aggregate limit and trims an oversized finding with a note', async () => {
    const big = 'A'.repeat(100_000);
    const findings = [finding(0, { doc: big }), finding(1, { doc: big }), finding(2, { doc: 'B'.repeat(400_000), keep: 'small' })];
    await new SnsSink(new SNSClient({ region: 'us-east-1' }), 'arn:aws:sns:us-east-1:111122223333:t').publish(findings);
    const batches = sns.commandCalls(PublishBatchCommand).map((c) => c.args[0].input.PublishBatchRequestEntries!);
    for (const b of batches) expect(b.reduce((n, e) => n + snsEntrySize(e), 0)).toBeLessThanOrEqual(SNS_MAX_BYTES);
    const trimmed = batches.flat().map((e) => JSON.parse(JSON.parse(e.Message!).lambda) as Finding).find((f) => f.eventId === 'evt-2')!;
    expect(trimmed.details).toMatchObject({ keep: 'small', trimmed: { removedKeys: ['doc'], fullRecord: 'CloudTrail event evt-2' } });
  });
});

describe('EventBridgeSink', () => {
  it('sends entries in batches of 10 with source trailwatch and detail-type "Trailwatch Finding"', async () => {
    await new EventBridgeSink(new EventBridgeClient({ region: 'us-east-1' }), 'bus').publish(Array.from({ length: 12 }, (_, i) => finding(i)));
    const calls = eb.commandCalls(PutEventsCommand).map((c) => c.args[0].input.Entries!);
    expect(calls.map((c) => c.length)).toEqual([10, 2]);
    for (const e of calls.flat()) expect(e).toMatchObject({ Source: 'trailwatch', DetailType: 'Trailwatch Finding', EventBusName: 'bus' });
  });

  it('trims a finding over 256 KiB instead of failing, and says so in details', async () => {
    // Each string is within the per-string bound (shared/model/finding-bounds.ts); together they are over 256 KiB.
    await new EventBridgeSink(new EventBridgeClient({ region: 'us-east-1' }), 'bus').publish([finding(1, { policy: Array.from({ length: 5 }, () => 'x'.repeat(60_000)), analysis: { ok: true } })]);
    const entry = eb.commandCalls(PutEventsCommand)[0]!.args[0].input.Entries![0]!;
    expect(eventBridgeEntrySize(entry)).toBeLessThanOrEqual(EVENTBRIDGE_MAX_BYTES);
    const detail = JSON.parse(entry.Detail!) as Finding;
    expect(detail.details['analysis']).toEqual({ ok: true });
    expect(detail.details['trimmed']).toMatchObject({ removedKeys: ['policy'] });
  });

  it('only retries the entries that failed', async () => {
    eb.on(PutEventsCommand)
      .resolvesOnce({ FailedEntryCount: 1, Entries: [{ EventId: 'a' }, { ErrorCode: 'InternalFailure' }, { EventId: 'c' }] })
      .resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'b' }] });
    await new EventBridgeSink(new EventBridgeClient({ region: 'us-east-1' }), 'bus').publish([finding(0), finding(1), finding(2)]);
    const calls = eb.commandCalls(PutEventsCommand).map((c) => c.args[0].input.Entries!.map((e) => (JSON.parse(e.Detail!) as Finding).eventId));
    expect(calls).toEqual([['evt-0', 'evt-1', 'evt-2'], ['evt-1']]);
  });

  it('measures entry size the way EventBridge does (UTF-8 bytes)', () => {
    const e = findingEntry({ ...finding(0), title: 'é' }, 'bus');
    expect(eventBridgeEntrySize(e)).toBe(Buffer.byteLength(e.Detail!) + 'trailwatch'.length + 'Trailwatch Finding'.length + 'arn:aws:iam::111122223333:user/alice'.length);
  });
});

describe('CloudWatchMetricsSink', () => {
  it('makes no call for an empty run', async () => {
    await new CloudWatchMetricsSink(new CloudWatchClient({ region: 'us-east-1' }), 'Trailwatch').flush({ eventsProcessed: 0, eventsSkipped: 0, skipReasons: {}, findings: [] });
    expect(cw.commandCalls(PutMetricDataCommand)).toHaveLength(0);
  });

  it('sums Findings by severity for the alarms and sends DetectionErrors', async () => {
    await new CloudWatchMetricsSink(new CloudWatchClient({ region: 'us-east-1' }), 'Trailwatch').flush({
      eventsProcessed: 3,
      eventsSkipped: 1,
      skipReasons: { x: 1 },
      detectionErrors: 2,
      findings: [
        { detection: 'a', severity: 'high', count: 2 },
        { detection: 'b', severity: 'high', count: 1 },
        { detection: 'c', severity: 'critical', count: 1 },
      ],
    });
    const data = cw.commandCalls(PutMetricDataCommand)[0]!.args[0].input.MetricData!;
    const bySeverity = data.filter((d) => d.MetricName === 'Findings' && d.Dimensions?.length === 1).map((d) => [d.Dimensions![0]!.Value, d.Value]);
    expect(bySeverity).toEqual([
      ['high', 3],
      ['critical', 1],
    ]);
    expect(data.find((d) => d.MetricName === 'DetectionErrors')?.Value).toBe(2);
  });

  it('stays within 1000 datums in ONE call even for absurd cardinality, keeping the severity totals', async () => {
    const findings = Array.from({ length: 1200 }, (_, i) => ({ detection: `d${i}`, severity: 'low' as const, count: 1 }));
    await new CloudWatchMetricsSink(new CloudWatchClient({ region: 'us-east-1' }), 'Trailwatch').flush({ eventsProcessed: 1200, eventsSkipped: 0, skipReasons: {}, findings });
    const calls = cw.commandCalls(PutMetricDataCommand);
    expect(calls).toHaveLength(1);
    const data = calls[0]!.args[0].input.MetricData!;
    expect(data.length).toBe(MAX_DATUMS_PER_CALL);
    expect(data.find((d) => d.MetricName === 'Findings' && d.Dimensions?.length === 1)?.Value).toBe(1200);
  });
});

describe('fitFinding / batchBySize', () => {
  it('returns the same object when it fits', () => {
    const f = finding(0, { a: 1 });
    expect(fitFinding(f, 10_000, (x) => JSON.stringify(x).length, 'test')).toBe(f);
  });

  it('shrinks free text when even an empty details object is too big', () => {
    const f = { ...finding(0), title: 'T'.repeat(5000) };
    const out = fitFinding(f, 2500, (x) => JSON.stringify(x).length, 'test');
    expect(JSON.stringify(out).length).toBeLessThanOrEqual(2500);
  });

  it('never produces an empty batch, even for one item larger than the limit', () => {
    expect(batchBySize([5, 50, 5, 5], (n) => n, 10, 20)).toEqual([[5], [50], [5, 5]]);
  });
});

describe('ConsoleSink', () => {
  function capture() {
    let text = '';
    return { stream: { write: (s: string, cb?: (e?: Error | null) => void) => ((text += s), cb?.(), true) } as unknown as NodeJS.WritableStream, text: () => text };
  }

  it('json: exactly one parseable line per finding', async () => {
    const out = capture();
    await new ConsoleSink({ format: 'json', out: out.stream }).publish([finding(0), finding(1)]);
    const lines = out.text().trimEnd().split('\n');
    expect(lines.map((l) => (JSON.parse(l) as Finding).eventId)).toEqual(['evt-0', 'evt-1']);
  });

  it('text: no ANSI codes without colour, and control characters from the event are neutralised', async () => {
    const out = capture();
    await new ConsoleSink({ format: 'text', out: out.stream, color: false }).publish([{ ...finding(0), title: 'evil\u001b[2Jtitle' }]);
    expect(out.text()).not.toContain('\u001b');
    expect(out.text()).toContain('evil [2Jtitle');
    // New lines and bidi overrides cannot fake a line or reverse the text either.
    const more = capture();
    await new ConsoleSink({ format: 'text', out: more.stream, color: false }).publish([{ ...finding(0), title: 'a\r\nHIGH     fake\u202eb' }]);
    expect(more.text().split('\n').filter(Boolean)).toHaveLength(3);
    expect(more.text()).not.toMatch(/[\u202e\r]/);
  });

  it('respects NO_COLOR and non-TTY streams', () => {
    expect(shouldColor({ isTTY: true }, {})).toBe(true);
    expect(shouldColor({ isTTY: true }, { NO_COLOR: '1' })).toBe(false);
    expect(shouldColor({ isTTY: false }, {})).toBe(false);
  });

  it('summarises counts, findings by detection and skips by reason', () => {
    const text = formatSummary({ eventsProcessed: 5, eventsSkipped: 2, skipReasons: { 'missing eventTime': 2 }, findings: [{ detection: 'root-signin', severity: 'critical', count: 1 }], files: 3 }, false);
    expect(text).toContain('3 file(s), 5 event(s) analysed, 2 skipped, 1 finding(s)');
    expect(text).toMatch(/root-signin\s+critical\s+1/);
    expect(text).toMatch(/missing eventTime\s+2/);
  });
});

describe('deliverFindings', () => {
  it('attempts every sink, flushes metrics, then throws one DeliveryError naming the failed sink', async () => {
    const good = new MemorySink('good');
    const bad = new MemorySink('bad');
    bad.failWith = new Error('down');
    const metrics = new MemoryMetricsSink();
    const counts = { eventsProcessed: 1, eventsSkipped: 0, skipReasons: {}, findings: [] };
    const error = await deliverFindings([finding(0)], counts, { sinks: [bad, good], metrics }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DeliveryError);
    expect((error as DeliveryError).errors.map((e) => e.sink)).toEqual(['bad']);
    expect(good.findings).toHaveLength(1);
    expect(metrics.flushed).toEqual([counts]);
  });

  it('does not call sinks when there are no findings but still flushes metrics', async () => {
    const sink = new MemorySink();
    sink.failWith = new Error('must not be called');
    const metrics = new MemoryMetricsSink();
    await deliverFindings([], { eventsProcessed: 1, eventsSkipped: 0, skipReasons: {}, findings: [] }, { sinks: [sink], metrics });
    expect(metrics.flushed).toHaveLength(1);
  });

  it('counts findings per account only when asked (organization mode), for every producer alike', async () => {
    const metrics = new MemoryMetricsSink();
    const counts = { eventsProcessed: 3, eventsSkipped: 0, skipReasons: {}, findings: [] };
    const other = { ...finding(2), account: '444455556666' };
    const malformed = { ...finding(3), account: 'not-an-account' };
    await deliverFindings([finding(0), finding(1), other, malformed], counts, { sinks: [new MemorySink()], metrics, perAccount: true });
    await deliverFindings([finding(0)], counts, { sinks: [new MemorySink()], metrics });
    expect(metrics.flushed[0]?.byAccount).toEqual({ '111122223333': 2, '444455556666': 1 });
    expect(metrics.flushed[1]?.byAccount).toBeUndefined();
  });
});
