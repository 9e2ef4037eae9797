import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { validateSlackMessage } from '../../shared/alerts/block-kit.ts';
import { renderAlertsForTerminal, sendFindingsToSlack } from '../../shared/notify/local.ts';
import type { NotifyLog } from '../../shared/notify/notifier.ts';
import { policyFinding, rootSigninFinding } from '../alerts/fixtures.ts';
import { FakeSlack } from './fake-slack.ts';

const quiet: NotifyLog = { info: () => undefined, warn: () => undefined, error: () => undefined };
const fast = { policy: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 1000, timeoutMs: 5000 }, deps: { sleep: async () => undefined } };

describe('local alert helpers', () => {
  let slack: FakeSlack;
  beforeEach(async () => {
    slack = await new FakeSlack().start();
  });
  afterEach(async () => slack.stop());

  it('renders Slack JSON and e-mail per finding for the terminal', () => {
    const out = renderAlertsForTerminal([rootSigninFinding(), policyFinding()], { chatbot: true });
    expect(out).toContain('=== alert 1/2: CRITICAL root-signin');
    expect(out).toContain('Subject: [CRITICAL] root-signin by root in 111122223333');
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
