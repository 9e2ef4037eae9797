import { describe, expect, it } from 'vitest';
import { readNotifyConfig } from '../../shared/notify/config.ts';
import type { SSMProvider } from '@aws-lambda-powertools/parameters/ssm';
import { checkWebhookUrl, webhookUrlFromSsm } from '../../shared/notify/webhook-url.ts';

/** The fake below implements only the call the notifier makes. */
type SsmGetter = Pick<SSMProvider, 'get'>;

describe('readNotifyConfig', () => {
  const full = {
    TRAILWATCH_NOTIFY_CHANNELS: 'slack, chatbot ,email',
    TRAILWATCH_SLACK_WEBHOOK_PARAMETER: '/trailwatch/slack-webhook',
    TRAILWATCH_CHATBOT_TOPIC_ARN: 'arn:aws:sns:us-east-1:111122223333:chatbot',
    TRAILWATCH_ALERTS_TOPIC_ARN: 'arn:aws:sns:us-east-1:111122223333:alerts',
    TRAILWATCH_DEDUP_TABLE: 'dedup',
    TRAILWATCH_DIGEST_TABLE: 'digest',
    TRAILWATCH_NOTIFY_DLQ_URL: 'https://sqs.us-east-1.amazonaws.com/111122223333/dlq',
    TRAILWATCH_DIGEST_WINDOW_SECONDS: '300',
    TRAILWATCH_IMMEDIATE_DETECTIONS: 'trail-tampering,kms-key-deletion',
  };
  it('reads a complete environment without problems', () => {
    const c = readNotifyConfig(full);
    expect(c.problems).toEqual([]);
    expect(c.channels).toEqual(['slack', 'chatbot', 'email']);
    expect(c.digestWindowMs).toBe(300_000);
    expect(c.immediateDetections).toEqual(['trail-tampering', 'kms-key-deletion']);
  });
  it('reports every misconfiguration instead of throwing', () => {
    const c = readNotifyConfig({ TRAILWATCH_NOTIFY_CHANNELS: 'slack,pager,chatbot,email', TRAILWATCH_DIGEST_WINDOW_SECONDS: '5' });
    expect(c.channels).toEqual(['slack', 'chatbot', 'email']);
    expect(c.problems.join('\n')).toMatch(/unknown channel 'pager'/);
    expect(c.problems.join('\n')).toMatch(/slack channel without/);
    expect(c.problems.join('\n')).toMatch(/chatbot channel without/);
    expect(c.problems.join('\n')).toMatch(/email channel without/);
    expect(c.problems.join('\n')).toMatch(/not an integer in 10..3600/);
    expect(c.problems.join('\n')).toMatch(/no TRAILWATCH_NOTIFY_DLQ_URL/);
    expect(c.digestWindowMs).toBe(120_000);
    expect(readNotifyConfig({ TRAILWATCH_NOTIFY_CHANNELS: '' }).problems).toContain('no alert channel configured');
  });
});

describe('webhook URL', () => {
  it('accepts https and loopback http only, and never echoes the value', () => {
    expect(checkWebhookUrl(' https://hooks.slack.com/services/T/B/x ')).toBe('https://hooks.slack.com/services/T/B/x');
    expect(checkWebhookUrl('http://127.0.0.1:9/x')).toBe('http://127.0.0.1:9/x');
    expect(() => checkWebhookUrl('http://hooks.slack.com/services/T/B/secret')).toThrow(/^the webhook URL must use https$/);
    expect(() => checkWebhookUrl('')).toThrow('empty');
    expect(() => checkWebhookUrl(42)).toThrow('empty');
  });
  it('reads the parameter decrypted with a long cache, once per getter use', async () => {
    const calls: Array<{ name: string; options: unknown }> = [];
    const provider = { get: async (name: string, options?: unknown) => (calls.push({ name, options }), 'https://hooks.slack.com/services/T/B/x') };
    const url = webhookUrlFromSsm('/trailwatch/slack-webhook', provider as unknown as SsmGetter);
    expect(await url()).toBe('https://hooks.slack.com/services/T/B/x');
    expect(calls[0]).toEqual({ name: '/trailwatch/slack-webhook', options: { decrypt: true, maxAge: 86_400 } });
    await expect(webhookUrlFromSsm('', provider as unknown as SsmGetter)()).rejects.toThrow('no webhook parameter name');
  });
});
