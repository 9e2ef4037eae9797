import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { validateSlackMessage } from '../../shared/alerts/block-kit.ts';
import type { Finding } from '../../shared/model/types.ts';
import { SlackChannel, type AlertChannel } from '../../shared/notify/channels.ts';
import type { DeadLetter, DeadLetterQueue } from '../../shared/notify/dead-letter.ts';
import { DedupStore } from '../../shared/notify/dedup-store.ts';
import { DigestStore } from '../../shared/notify/digest-store.ts';
import { emptyStats } from '../../shared/notify/metrics.ts';
import { Notifier, type NotifyLog } from '../../shared/notify/notifier.ts';
import { DEFAULT_RETRY, type RetryPolicy } from '../../shared/notify/webhook.ts';
import { policyFinding, rootSigninFinding } from '../alerts/fixtures.ts';
import { FakeSlack } from './fake-slack.ts';
import { notifierTables } from './dynalite.ts';

const FAST: RetryPolicy = { ...DEFAULT_RETRY, maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 60_000, timeoutMs: 30_000, retryTimeoutMs: 30_000 };
const noSleep = async (): Promise<void> => undefined;
const T0 = Date.parse('2026-11-20T09:00:10Z');

class MemoryDlq implements DeadLetterQueue {
  letters: DeadLetter[] = [];
  fail = false;
  async send(letter: DeadLetter): Promise<void> {
    if (this.fail) throw new Error('SQS unavailable');
    this.letters.push(JSON.parse(JSON.stringify(letter)) as DeadLetter);
  }
}

const logs: Array<{ level: string; message: string }> = [];
const log: NotifyLog = {
  info: (message) => logs.push({ level: 'info', message }),
  warn: (message) => logs.push({ level: 'warn', message }),
  error: (message) => logs.push({ level: 'error', message }),
};

describe('Notifier end to end (dynalite + local fake Slack)', () => {
  let slack: FakeSlack;
  let dlq: MemoryDlq;
  let now: number;
  const tables = notifierTables();
  let notifier: Notifier;
  let digests: DigestStore;

  beforeEach(async () => {
    slack = await new FakeSlack().start();
    dlq = new MemoryDlq();
    now = T0;
    digests = new DigestStore(tables.db.client, tables.digest, { windowMs: 120_000, graceMs: 5_000, maxSamples: 5, leaseMs: 300_000 });
    notifier = new Notifier({
      channels: [new SlackChannel(async () => slack.url, FAST, { sleep: noSleep })],
      deadLetters: dlq,
      dedup: new DedupStore(tables.db.client, tables.dedup),
      digests,
      clock: () => now,
      log,
    });
  });
  afterEach(async () => slack.stop());

  it('sends a critical finding at once, exactly once, in valid Block Kit, despite duplicates, 429 and 500', async () => {
    slack.script = { 1: { status: 429, headers: { 'retry-after': '1' } }, 2: { status: 500 } };
    const root = rootSigninFinding();
    const stats = await notifier.handle([root, root]);
    await notifier.handle([root]); // SNS redelivery
    expect(slack.requests).toHaveLength(3);
    const delivered = slack.delivered();
    expect(delivered).toHaveLength(1);
    expect(validateSlackMessage(delivered[0])).toEqual([]);
    expect(String(delivered[0]?.['text'])).toContain('root signed in without MFA');
    expect(stats).toMatchObject({ alertsSent: 1, duplicates: 1, deliveriesFailed: 0 });
    expect(dlq.letters).toEqual([]);
  });

  it('a burst of 300 policy changes becomes one digest plus the critical ones', async () => {
    const findings: Finding[] = [];
    for (let i = 0; i < 300; i++) {
      // Every 100th change grants admin: critical, sent at once. The rest are medium.
      findings.push(policyFinding({ severity: i % 100 === 0 ? 'critical' : i % 7 === 0 ? 'high' : 'medium' }, i));
    }
    const stats = emptyStats();
    for (let i = 0; i < findings.length; i += 10) {
      now = T0 + i * 200; // 300 changes over 60 s, in batches of 10 as SNS would fan them out
      await notifier.handle(findings.slice(i, i + 10), stats);
    }
    await notifier.handle(findings.slice(0, 50), stats); // duplicates of the first 50
    expect(stats).toMatchObject({ alertsSent: 3, grouped: 297, duplicates: 50 });
    expect(slack.delivered()).toHaveLength(3);

    // Nothing more arrives; the window closes and the scheduled flush sends the digest.
    now = T0 + 60_000;
    expect((await notifier.flush()).digests).toBe(0); // window (09:00:00–09:02:00) still open
    now = Date.parse('2026-11-20T09:02:06Z');
    const flushStats = await notifier.flush();
    expect(flushStats).toMatchObject({ digests: 1, alertsSent: 1 });
    const all = slack.delivered();
    expect(all).toHaveLength(4);
    const digest = all[3]!;
    expect(validateSlackMessage(digest)).toEqual([]);
    // The push text is mrkdwn: the ARN's `:aws:` would be an emoji code, so its colons are look-alikes there; the blocks carry it exactly, in code.
    // It starts with what happened (the findings' headlines), not the detection id.
    expect(String(digest['text'])).toMatch(/^HIGH: 297 findings: [^—]+; … — 297 policy-changed findings by arn∶aws∶sts:∶111122223333:assumed-role\/deploy\/terraform between 2026-11-20 09:0\d:\d\d UTC/);
    expect(JSON.stringify(digest)).toContain('`arn:aws:sts::111122223333:assumed-role/deploy/terraform`');
    expect(JSON.stringify(digest)).toContain('…and 292 more');

    // A second flush finds nothing: the digest is sent once.
    expect((await notifier.flush()).digests).toBe(0);
    expect(slack.delivered()).toHaveLength(4);
  });

  it('follows finding.route: page now, digest, one daily summary message, record only (counted, never sent)', async () => {
    const low = policyFinding({ severity: 'low', route: 'page', routeReason: 'novel principal' }, 201);
    const critical = policyFinding({ severity: 'critical', route: 'digest' }, 202);
    const summarised = [
      policyFinding({ severity: 'medium', route: 'summary' }, 203),
      policyFinding({ severity: 'low', route: 'summary' }, 204),
      { ...rootSigninFinding(), eventId: 'evt-summary-root', severity: 'high' as const, route: 'summary' as const },
    ];
    const recorded = policyFinding({ severity: 'high', route: 'record' }, 205);
    const stats = await notifier.handle([low, critical, ...summarised, recorded]);
    expect(stats).toMatchObject({ alertsSent: 1, grouped: 4, recorded: 1 });
    expect(slack.delivered()).toHaveLength(1);
    expect(JSON.stringify(slack.delivered()[0])).toContain(low.eventId);
    // The digest window closes: the routed-digest critical finding goes out as a group of one.
    now = T0 + 10 * 60_000;
    expect(await notifier.flush()).toMatchObject({ alertsSent: 1, summaries: 0 });
    expect(slack.delivered()).toHaveLength(2);
    // The summary waits for the end of the UTC day, then is ONE message for all three findings.
    now = Date.parse('2026-11-20T23:59:00Z');
    expect((await notifier.flush()).summaries).toBe(0);
    now = Date.parse('2026-11-21T00:00:06Z');
    const day = await notifier.flush();
    expect(day).toMatchObject({ summaries: 1, alertsSent: 1 });
    const all = slack.delivered();
    expect(all).toHaveLength(3);
    const summary = all[2]!;
    expect(validateSlackMessage(summary)).toEqual([]);
    expect(String(summary['text'])).toContain('Daily summary for 2026-11-20: 3 finding(s) routed to the summary (policy-changed 2, root-signin 1)');
    expect(JSON.stringify(all)).not.toContain(recorded.eventId);
    expect((await notifier.flush()).summaries).toBe(0);
  });

  it('without a route the severity rule decides (critical or immediate: page; else digest)', () => {
    expect(notifier.pathOf(policyFinding({ severity: 'critical' }))).toBe('page');
    expect(notifier.pathOf(policyFinding({ severity: 'high' }))).toBe('digest');
    expect(notifier.pathOf(policyFinding({ severity: 'info', route: 'page' }))).toBe('page');
  });

  it('groups per principal and detection; a group of one is sent as a normal alert', async () => {
    await notifier.handle([
      policyFinding({ severity: 'medium' }, 1),
      policyFinding({ severity: 'medium', principal: { type: 'IAMUser', name: 'bob', arn: 'arn:aws:iam::111122223333:user/bob' } }, 2),
      policyFinding({ severity: 'low' }, 3),
    ]);
    expect(slack.requests).toHaveLength(0);
    now = T0 + 10 * 60_000;
    const stats = await notifier.flush();
    expect(stats).toMatchObject({ digests: 1, alertsSent: 2 });
    const texts = slack.delivered().map((m) => String(m['text']));
    expect(texts.some((t) => /^MEDIUM: 2 × .+ — 2 policy-changed findings by arn∶aws∶sts/.test(t))).toBe(true);
    expect(texts.some((t) => t.startsWith('MEDIUM: policy changed on'))).toBe(true);
  });

  it('a permanently failing Slack ends in the DLQ, counted, and is not re-sent on redelivery', async () => {
    slack.decide = () => ({ status: 500, body: 'down' });
    const root = rootSigninFinding();
    const stats = await notifier.handle([root]);
    expect(stats).toMatchObject({ alertsSent: 0, deliveriesFailed: 1, deadLettered: 1 });
    expect(slack.requests).toHaveLength(FAST.maxAttempts);
    expect(dlq.letters).toHaveLength(1);
    expect(dlq.letters[0]?.alert).toEqual({ kind: 'finding', finding: root });
    expect(dlq.letters[0]?.failedChannels[0]).toMatchObject({ channel: 'slack', attempts: 3, status: 500 });
    expect(JSON.stringify(dlq.letters)).not.toContain('secret-token');
    await notifier.handle([root]);
    expect(dlq.letters).toHaveLength(1);
  });

  it('a failing digest goes to the DLQ and leaves the table', async () => {
    await notifier.handle([policyFinding({ severity: 'medium' }, 1), policyFinding({ severity: 'high' }, 2)]);
    slack.decide = () => ({ status: 404, body: 'no_service' });
    now = T0 + 10 * 60_000;
    const stats = await notifier.flush();
    expect(stats).toMatchObject({ deliveriesFailed: 1, deadLettered: 1, digests: 0 });
    expect(dlq.letters[0]?.alert.kind).toBe('digest');
    expect(await digests.claimDue(now + 3600_000)).toEqual([]);
  });

  it('when even the DLQ fails, the claim is released and the error surfaces so Lambda retries', async () => {
    slack.decide = () => ({ status: 500 });
    dlq.fail = true;
    const root = rootSigninFinding();
    await expect(notifier.handle([root])).rejects.toThrow('SQS unavailable');
    slack.decide = undefined;
    dlq.fail = false;
    const stats = await notifier.handle([root]); // the retry
    expect(stats.alertsSent).toBe(1);
    expect(slack.delivered()).toHaveLength(1);
  });

  it('one failing channel does not stop the others; only the failed one is dead-lettered', async () => {
    const broken: AlertChannel = {
      name: 'email',
      send: async () => {
        throw new Error('SNS publish failed');
      },
    };
    const both = new Notifier({ channels: [new SlackChannel(async () => slack.url, FAST, { sleep: noSleep }), broken], deadLetters: dlq, clock: () => now, log });
    await both.handle([rootSigninFinding()]);
    expect(slack.delivered()).toHaveLength(1);
    expect(dlq.letters[0]?.failedChannels.map((c) => c.channel)).toEqual(['email']);
  });

  it('without stores (local replay) every finding is sent at once', async () => {
    const local = new Notifier({ channels: [new SlackChannel(async () => slack.url, FAST, { sleep: noSleep })], deadLetters: dlq, log });
    const stats = await local.handle([policyFinding({ severity: 'low' }, 1), rootSigninFinding()]);
    expect(stats.alertsSent).toBe(2);
    expect(slack.delivered()).toHaveLength(2);
  });

  it('fails open when the dedup table is unreachable: the critical alert still goes out', async () => {
    const open = new Notifier({
      channels: [new SlackChannel(async () => slack.url, FAST, { sleep: noSleep })],
      deadLetters: dlq,
      dedup: new DedupStore(tables.db.client, 'no-such-table'),
      digests,
      clock: () => now,
      log,
    });
    const stats = await open.handle([rootSigninFinding()]);
    expect(stats.alertsSent).toBe(1);
    expect(slack.delivered()).toHaveLength(1);
    expect(logs.some((l) => l.message.startsWith('dedup store unavailable'))).toBe(true);
  });

  it('a digest table outage fails the invocation (Lambda retries) and releases the claim', async () => {
    const dedup = new DedupStore(tables.db.client, tables.dedup);
    const broken = new Notifier({ channels: [], deadLetters: dlq, dedup, digests: new DigestStore(tables.db.client, 'no-such-table'), clock: () => now, log });
    const medium = policyFinding({ severity: 'medium' }, 77);
    await expect(broken.handle([medium])).rejects.toThrow();
    expect(await dedup.claim(`policy-changed#${medium.eventId}`, now)).toMatchObject({ status: 'claimed' });
  });

  it('a flush that runs out of time hands the remaining digests back; the next flush sends them', async () => {
    const other = { type: 'IAMUser', name: 'eve', arn: 'arn:aws:iam::111122223333:user/eve' };
    await notifier.handle([policyFinding({ severity: 'medium' }, 1), policyFinding({ severity: 'medium', principal: other }, 2)]);
    let t = T0 + 10 * 60_000;
    const slow = new Notifier({
      channels: [{ name: 'slow', send: async () => void (t += 70_000) }], // each send "takes" 70 s
      deadLetters: dlq,
      digests,
      clock: () => t,
      log,
      flushBudgetMs: 60_000,
    });
    expect((await slow.flush()).alertsSent).toBe(1);
    expect((await slow.flush()).alertsSent).toBe(1);
    expect((await slow.flush()).alertsSent).toBe(0);
  });
});
