import { DEFAULT_RETRY } from '../../shared/notify/webhook.ts';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { validateSlackMessage } from '../../shared/alerts/block-kit.ts';
import type { Finding } from '../../shared/model/types.ts';
import { AlertPreviewSink, SlackWebhookSink, renderAlertsForTerminal, sendFindingsToSlack } from '../../shared/notify/local.ts';
import type { NotifyLog } from '../../shared/notify/notifier.ts';
import { policyFinding, rootSigninFinding } from '../alerts/fixtures.ts';
import { FakeSlack } from './fake-slack.ts';

const quiet: NotifyLog = { info: () => undefined, warn: () => undefined, error: () => undefined };
const fast = { policy: { ...DEFAULT_RETRY, maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 1000, timeoutMs: 30_000, retryTimeoutMs: 30_000 }, deps: { sleep: async () => undefined } };

describe('local alert helpers', () => {
  let slack: FakeSlack;
  beforeEach(async () => {
    slack = await new FakeSlack().start();
  });
  afterEach(async () => slack.stop());

  it('renders Slack JSON and e-mail per finding for the terminal', () => {
    const out = renderAlertsForTerminal([rootSigninFinding(), policyFinding()], { chatbot: true });
    expect(out).toContain('=== alert 1/2: CRITICAL root-signin');
    expect(out).toContain('Subject: [CRITICAL] root signed in without MFA in 111122223333');
    expect(out).toContain('"version": "1.0"');
    const firstJson = out.slice(out.indexOf('--- Slack (webhook body) ---') + 29, out.indexOf('--- E-mail ---'));
    expect(validateSlackMessage(JSON.parse(firstJson))).toEqual([]);
    expect(renderAlertsForTerminal([])).toBe('');
  });

  it('posts every finding once, even non-critical ones (no digests locally)', async () => {
    const { stats, failed } = await sendFindingsToSlack([rootSigninFinding(), policyFinding({ severity: 'low' })], slack.url, quiet, fast);
    expect(stats.alertsSent).toBe(2);
    expect(failed).toEqual([]);
    expect(slack.delivered()).toHaveLength(2);
  });

  it('paces posts to one per 1.1 s per webhook and says how long 72 alerts take; record-only findings are not posted', async () => {
    let t = Date.parse('2026-11-20T09:00:00Z');
    const starts: number[] = [];
    const deps = { now: () => t, sleep: async (ms: number) => void (t += ms) };
    // 72 independent pages: one root sign-in in each of 72 accounts (one incident each).
    const findings: Finding[] = Array.from({ length: 72 }, (_, i) => {
      const account = String(111122223300 + i);
      const root = rootSigninFinding();
      return { ...root, account, principal: { ...root.principal, arn: `arn:aws:iam::${account}:root` }, eventId: `evt-${i}` };
    });
    findings.push({ ...rootSigninFinding(), eventId: 'evt-record', route: 'record' });
    slack.decide = () => {
      starts.push(t);
      return undefined;
    };
    const chunks: string[] = [];
    const out = { write: (c: string) => (chunks.push(String(c)), true) } as unknown as NodeJS.WritableStream;
    await new SlackWebhookSink(slack.url, out, quiet, { ...fast, deps }).publish(findings);
    expect(chunks.join('')).toContain('slack: posting 72 alert(s), one every 1.1 s (Slack\'s rate limit): about 1 min 18 s');
    expect(chunks.join('')).toContain('slack: 72 of 72 alert(s) posted (1 routed to the record only, not posted)');
    expect(slack.delivered()).toHaveLength(72);
    const gaps = starts.slice(1).map((s, i) => s - starts[i]!);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(1100);
    expect(starts.at(-1)! - starts[0]!).toBe(71 * 1100);
  });

  it('reports alerts Slack refused instead of dropping them', async () => {
    slack.decide = () => ({ status: 500 });
    const { stats, failed } = await sendFindingsToSlack([rootSigninFinding()], slack.url, quiet, fast);
    expect(stats.deliveriesFailed).toBe(1);
    expect(failed[0]?.failedChannels[0]?.status).toBe(500);
  });

  it('refuses a non-https, non-loopback URL', async () => {
    await expect(sendFindingsToSlack([], 'http://hooks.slack.com/services/x', quiet)).rejects.toThrow('https');
    await expect(sendFindingsToSlack([], 'nope', quiet)).rejects.toThrow('not a URL');
  });
});

describe('replay sinks', () => {
  let slack: FakeSlack;
  beforeEach(async () => {
    slack = await new FakeSlack().start();
  });
  afterEach(async () => slack.stop());

  function sinkOut(): { stream: NodeJS.WritableStream; text: () => string } {
    const chunks: string[] = [];
    const stream = { write: (c: string) => (chunks.push(String(c)), true) } as unknown as NodeJS.WritableStream;
    return { stream, text: () => chunks.join('') };
  }

  it('AlertPreviewSink prints the rendered alerts', async () => {
    const out = sinkOut();
    await new AlertPreviewSink(out.stream).publish([rootSigninFinding()]);
    expect(out.text()).toContain('--- Slack (webhook body) ---');
    expect(out.text()).toContain('Subject: [CRITICAL] root signed in without MFA');
  });

  it('SlackWebhookSink posts, reports, and throws when Slack keeps refusing', async () => {
    const out = sinkOut();
    await new SlackWebhookSink(slack.url, out.stream, quiet, fast).publish([rootSigninFinding()]);
    expect(out.text()).toContain('slack: 1 of 1 alert(s) posted');
    slack.decide = () => ({ status: 404, body: 'no_service' });
    await expect(new SlackWebhookSink(slack.url, out.stream, quiet, fast).publish([rootSigninFinding()])).rejects.toThrow('could not be delivered');
    expect(out.text()).toContain('NOT delivered: root-signin 0b6f4d2e');
    expect(out.text()).toContain('no_service');
    expect(() => new SlackWebhookSink('ftp://x', out.stream, quiet)).toThrow('https');
  });
});
