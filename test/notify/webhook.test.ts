import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_RETRY, DeliveryError, postJson, redactUrl, retryAfterMs, type RetryPolicy } from '../../shared/notify/webhook.ts';
import { FakeSlack } from './fake-slack.ts';

const POLICY: RetryPolicy = { ...DEFAULT_RETRY, maxAttempts: 4, baseDelayMs: 100, maxDelayMs: 30_000, timeoutMs: 30_000, retryTimeoutMs: 30_000 };

describe('postJson against a real local HTTP server', () => {
  let slack: FakeSlack;
  let sleeps: number[];
  const sleep = async (ms: number): Promise<void> => {
    sleeps.push(ms);
  };
  beforeEach(async () => {
    slack = await new FakeSlack().start();
    sleeps = [];
  });
  afterEach(async () => slack.stop());

  it('posts JSON once on 200', async () => {
    const r = await postJson(slack.url, { text: 'hi' }, POLICY, { sleep });
    expect(r).toEqual({ attempts: 1, status: 200, unconfirmed: 0 });
    expect(slack.requests).toHaveLength(1);
    expect(slack.requests[0]?.contentType).toMatch(/application\/json/);
    expect(slack.requests[0]?.path).toBe('/services/T000/B000/secret-token');
    expect(JSON.parse(slack.requests[0]!.body)).toEqual({ text: 'hi' });
  });

  it('waits Retry-After on 429, then succeeds', async () => {
    slack.script = { 1: { status: 429, headers: { 'retry-after': '7' }, body: 'rate_limited' } };
    const r = await postJson(slack.url, { text: 'x' }, POLICY, { sleep });
    expect(r.attempts).toBe(2);
    expect(sleeps).toEqual([7000]);
    expect(slack.delivered()).toHaveLength(1);
  });

  it('retries 5xx with growing backoff', async () => {
    slack.script = { 1: { status: 500 }, 2: { status: 503 } };
    const r = await postJson(slack.url, { text: 'x' }, POLICY, { sleep, random: () => 0.5 });
    expect(r.attempts).toBe(3);
    expect(sleeps).toEqual([75, 150]);
  });

  it('gives up after maxAttempts on a permanently failing endpoint', async () => {
    slack.decide = () => ({ status: 500, body: 'boom' });
    const error = await postJson(slack.url, { text: 'x' }, POLICY, { sleep }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DeliveryError);
    expect((error as DeliveryError).attempts).toBe(4);
    expect((error as DeliveryError).retryable).toBe(true);
    expect((error as DeliveryError).message).not.toContain('secret-token');
    expect(slack.requests).toHaveLength(4);
    expect(sleeps).toHaveLength(3);
  });

  it('does not retry a 400 (invalid_blocks will not fix itself)', async () => {
    slack.script = { 1: { status: 400, body: 'invalid_blocks' } };
    const error = (await postJson(slack.url, {}, POLICY, { sleep }).catch((e: unknown) => e)) as DeliveryError;
    expect(error.status).toBe(400);
    expect(error.retryable).toBe(false);
    expect(error.message).toContain('invalid_blocks');
    expect(slack.requests).toHaveLength(1);
  });

  it('gives up (to the DLQ) when Retry-After exceeds the cap instead of sleeping past the Lambda timeout', async () => {
    slack.script = { 1: { status: 429, headers: { 'retry-after': '3600' } } };
    const error = (await postJson(slack.url, {}, POLICY, { sleep }).catch((e: unknown) => e)) as DeliveryError;
    expect(error.status).toBe(429);
    expect(sleeps).toEqual([]);
  });

  it('retries network errors (connection refused) and never leaks the URL', async () => {
    const url = slack.url;
    await slack.stop();
    const error = (await postJson(url, {}, { ...POLICY, maxAttempts: 2 }, { sleep }).catch((e: unknown) => e)) as DeliveryError;
    expect(error).toBeInstanceOf(DeliveryError);
    expect(error.attempts).toBe(2);
    expect(error.message).toMatch(/network error/);
    expect(error.message).not.toContain('secret-token');
    slack = await new FakeSlack().start();
  });
});

describe('retryAfterMs / redactUrl', () => {
  it('parses seconds and HTTP dates, rejects junk', () => {
    expect(retryAfterMs('2')).toBe(2000);
    expect(retryAfterMs('1.5')).toBe(1500);
    expect(retryAfterMs(new Date(10_000).toUTCString(), 4_000)).toBe(6000);
    expect(retryAfterMs('soon')).toBeUndefined();
    expect(retryAfterMs(null)).toBeUndefined();
  });
  it('keeps only scheme and host', () => {
    expect(redactUrl('https://hooks.slack.com/services/T1/B2/abc')).toBe('https://hooks.slack.com/…');
    expect(redactUrl('not a url')).toBe('<invalid url>');
  });
});
