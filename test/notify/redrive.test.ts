import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import { DeleteMessageCommand, ReceiveMessageCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { SlackChannel } from '../../shared/notify/channels.ts';
import { deadLetterBody } from '../../shared/notify/dead-letter.ts';
import type { NotifyLog } from '../../shared/notify/notifier.ts';
import { REDRIVE_MIN_LETTER_MS, redriveDeadLetters, type RedriveStats } from '../../shared/notify/redrive.ts';
import { DEFAULT_RETRY } from '../../shared/notify/webhook.ts';
import { rootSigninFinding } from '../alerts/fixtures.ts';
import { FakeSlack } from './fake-slack.ts';

/**
 * The redrive run against its own function timeout (notifyRedrive: 300 s, sending ends 20 s before).
 * Slack is back but slow (every post answered after 9.5 s, virtual time), and 40 letters wait: they
 * cannot all fit in one run. The run must end inside its deadline with every posted letter deleted —
 * a run killed between a post and its DeleteMessage posts that letter again on the next run.
 */

const QUEUE = 'https://sqs.us-east-1.amazonaws.com/111122223333/trailwatch-ci-notify-dlq';
const TIMEOUT_MS = 300_000;
const MARGIN_MS = 20_000;
const quiet: NotifyLog = { info: () => undefined, warn: () => undefined, error: () => undefined };

describe('notifier DLQ redrive inside its time budget (fake Slack on 127.0.0.1, virtual time)', () => {
  const sqs = mockClient(SQSClient);
  let slack: FakeSlack;
  let t = 0;
  let killAt = Number.POSITIVE_INFINITY;
  let queue: Array<{ id: string; body: string; invisibleUntil: number }> = [];

  beforeEach(async () => {
    slack = await new FakeSlack().start();
    t = Date.parse('2026-11-20T10:00:00Z');
    killAt = Number.POSITIVE_INFINITY;
    queue = Array.from({ length: 40 }, (_, i) => ({
      id: `m${i}`,
      body: deadLetterBody({ alert: { kind: 'finding', finding: { ...rootSigninFinding(), eventId: `evt-${String(i).padStart(3, '0')}-end` } }, failedChannels: [{ channel: 'slack', reason: 'HTTP 503' }], at: '2026-11-20T09:00:00.000Z' }),
      invisibleUntil: 0,
    }));
    slack.decide = () => ({ status: 200, delayMs: 9_500 });
    slack.onDelay = (ms) => void (t += ms);
    slack.refuse = () => t >= killAt; // a killed run posts nothing more
    sqs.reset();
    const alive = (): void => {
      if (t >= killAt) throw new Error('Task timed out after 300.00 seconds');
    };
    sqs.on(ReceiveMessageCommand).callsFake((input: { MaxNumberOfMessages?: number; VisibilityTimeout?: number }) => {
      alive();
      const ready = queue.filter((m) => m.invisibleUntil <= t).slice(0, input.MaxNumberOfMessages ?? 1);
      for (const m of ready) m.invisibleUntil = t + (input.VisibilityTimeout ?? 30) * 1000;
      return { Messages: ready.map((m) => ({ MessageId: m.id, Body: m.body, ReceiptHandle: m.id })) };
    });
    sqs.on(DeleteMessageCommand).callsFake((input: { ReceiptHandle?: string }) => {
      alive();
      queue = queue.filter((m) => m.id !== input.ReceiptHandle);
      return {};
    });
    sqs.on(SendMessageCommand).callsFake(() => {
      alive();
      return { MessageId: 'x' };
    });
  });
  afterEach(async () => slack.stop());

  function channel(): SlackChannel {
    return new SlackChannel(async () => slack.url, DEFAULT_RETRY, { now: () => t, sleep: async (ms) => void (t += ms) });
  }

  /** One invocation: killed at its timeout like Lambda, deadline = timeout - margin when `withDeadline`. */
  async function invoke(withDeadline: boolean): Promise<{ stats?: RedriveStats; killed: boolean; took: number }> {
    const started = t;
    killAt = started + TIMEOUT_MS;
    try {
      const stats = await redriveDeadLetters(sqs as unknown as SQSClient, QUEUE, [channel()], quiet, 1000, withDeadline ? { deadline: started + TIMEOUT_MS - MARGIN_MS, now: () => t } : {});
      return { stats, killed: t >= killAt, took: t - started };
    } catch {
      return { killed: true, took: t - started };
    } finally {
      killAt = Number.POSITIVE_INFINITY;
    }
  }

  const copies = (): Map<string, number> => {
    const n = new Map<string, number>();
    for (const r of slack.requests) if (r.posted) for (const id of new Set(r.body.match(/evt-\d{3}-end/g) ?? [])) n.set(id, (n.get(id) ?? 0) + 1);
    return n;
  };

  it('ends before its deadline, deletes every letter it posted, and the next runs deliver the rest exactly once', async () => {
    const first = await invoke(true);
    expect(first.killed).toBe(false);
    expect(first.took).toBeLessThanOrEqual(TIMEOUT_MS - MARGIN_MS);
    const s = first.stats!;
    expect(s.redriven).toBeGreaterThan(0);
    expect(s.redriven).toBeLessThan(40); // 40 posts of 9.5 s cannot fit in 280 s
    // Letter k starts at 9.5·k s and is started only with ≥ 12 s left of 280 s: k = 0…28 (docs/alerts.md says 29).
    expect(s.redriven).toBe(Math.floor((TIMEOUT_MS - MARGIN_MS - REDRIVE_MIN_LETTER_MS) / 9_500) + 1);
    expect(s.stillFailing).toBe(0);
    expect(s.possibleDuplicates).toBe(0);
    // Every letter it posted is gone from the queue; every letter still queued was never posted.
    const posted = copies();
    expect(posted.size).toBe(s.redriven);
    for (const m of queue) expect(posted.has(m.body.match(/evt-\d{3}-end/)![0])).toBe(false);
    expect(queue).toHaveLength(40 - s.redriven);
    // The next runs (after the 5-minute visibility timeout) take the rest.
    let runs = 1;
    while (queue.length > 0 && runs < 10) {
      t += 5 * 60_000;
      const next = await invoke(true);
      expect(next.killed).toBe(false);
      runs += 1;
    }
    expect(queue).toHaveLength(0);
    expect([...copies().values()].every((n) => n === 1)).toBe(true);
    expect(copies().size).toBe(40);
    expect(first.took + REDRIVE_MIN_LETTER_MS).toBeGreaterThan(TIMEOUT_MS - MARGIN_MS - 10_000); // it used its time
  });

  it('uses the deployed numbers: notifyRedrive timeout in serverless.yml and the notifier margin', async () => {
    const { readFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { ROOT } = await import('../helpers/events.ts');
    const { DELIVERY_MARGIN_MS } = await import('../../functions/notify.ts');
    const yml = readFileSync(join(ROOT, 'serverless.yml'), 'utf8');
    const block = yml.slice(yml.indexOf('\n  notifyRedrive:\n'));
    expect(Number(/\n {4}timeout: (\d+)/.exec(block)?.[1]) * 1000).toBe(TIMEOUT_MS);
    expect(DELIVERY_MARGIN_MS).toBe(MARGIN_MS);
  });

  it('the harness catches the old behaviour: without a deadline the run is killed at 300 s with a letter posted but not deleted', async () => {
    const run = await invoke(false);
    expect(run.killed).toBe(true);
    const posted = copies();
    const reposted = queue.filter((m) => posted.has(m.body.match(/evt-\d{3}-end/)![0]));
    expect(reposted.length).toBeGreaterThan(0); // the next redrive posts it a second time
  });
});
