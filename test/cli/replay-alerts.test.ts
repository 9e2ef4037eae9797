import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { validateSlackMessage } from '../../shared/alerts/block-kit.ts';
import { run, type ReplayIo } from '../../shared/cli/replay.ts';
import { EVENTS_DIR } from '../helpers/events.ts';
import { FakeSlack } from '../notify/fake-slack.ts';

function capture(): { io: ReplayIo; out: () => string; err: () => string } {
  const out: string[] = [];
  const err: string[] = [];
  const stream = (sink: string[]) =>
    new Writable({
      write(chunk, _enc, cb) {
        sink.push(String(chunk));
        cb();
      },
    });
  return { io: { stdout: stream(out), stderr: stream(err), env: { NO_COLOR: '1' } }, out: () => out.join(''), err: () => err.join('') };
}

const ROOT_NO_MFA = join(EVENTS_DIR, 'root-signin', 'positive-success-no-mfa.json');
const ROOT_DIR = join(EVENTS_DIR, 'root-signin');

describe('trailwatch replay alert flags', () => {
  let slack: FakeSlack;
  beforeEach(async () => {
    slack = await new FakeSlack().start();
  });
  afterEach(async () => slack.stop());

  it('--show-alerts prints the rendered Slack JSON and e-mail', async () => {
    const c = capture();
    const code = await run(['--show-alerts', '--quiet', '--no-rates', ROOT_NO_MFA], c.io);
    expect(code).toBe(0);
    expect(c.out()).toContain('--- Slack (webhook body) ---');
    expect(c.out()).toContain('Subject: [CRITICAL] root signed in without MFA in 111122223333');
    expect(c.out()).toContain('cloudtrailv2/home?region=us-east-1#/events/0b6f4d2e-8a1c-4e57-b3f2-6d9e0c7a1b02');
  });

  it('--show-alerts keeps stdout to findings in --format json (alerts go to stderr)', async () => {
    const c = capture();
    expect(await run(['--show-alerts', '--format', 'json', '--quiet', '--no-rates', ROOT_NO_MFA], c.io)).toBe(0);
    for (const line of c.out().trim().split('\n')) expect(() => JSON.parse(line) as unknown).not.toThrow();
    expect(c.err()).toContain('--- Slack (webhook body) ---');
  });

  it('--slack-webhook posts every finding exactly once in valid Block Kit, through a 429: one page per incident, the rest as its follow-up', async () => {
    slack.script = { 1: { status: 429, headers: { 'retry-after': '0' } } };
    const c = capture();
    const code = await run(['--slack-webhook', slack.url, '--quiet', '--no-rates', ROOT_DIR], c.io);
    expect(code).toBe(0);
    const delivered = slack.delivered();
    // positive-failure, positive-success-mfa, positive-success-no-mfa fire (one root user, one second);
    // the IAM-user sign-in does not. The first pages; the other two are that incident's follow-up.
    expect(delivered).toHaveLength(2);
    for (const m of delivered) expect(validateSlackMessage(m)).toEqual([]);
    expect(String(delivered[0]!['text'])).toMatch(/^CRITICAL: root signed in/);
    expect(JSON.stringify(delivered[1])).toContain('follow-ups of the incident paged at 2026-11-20 07:12:09 UTC (CRITICAL)');
    for (const id of ['0b6f4d2e-8a1c-4e57-b3f2-6d9e0c7a1b02', '5d2e8c1a-9f3b-47a6-b0d4-2c8e1f6a7b03', '7c1a2f9e-3b7d-4f0e-9d61-1f4a3c2b9e01']) {
      expect({ id, posts: delivered.filter((m) => JSON.stringify(m).includes(`events/${id}`)).length }).toEqual({ id, posts: 1 });
    }
    expect(c.err()).toContain('slack: 2 of 2 alert(s) posted');
  });

  it('a bad --slack-webhook URL is a usage error (exit 1), not a crash', async () => {
    const c = capture();
    expect(await run(['--slack-webhook', 'not-a-url', ROOT_NO_MFA], c.io)).toBe(1);
    expect(c.err()).toMatch(/--slack-webhook/);
    expect(slack.requests).toHaveLength(0);
  });

  it('a Slack that refuses the alert makes the replay fail loudly', async () => {
    slack.decide = () => ({ status: 404, body: 'no_service' });
    const c = capture();
    await expect(run(['--slack-webhook', slack.url, '--quiet', '--no-rates', ROOT_NO_MFA], c.io)).rejects.toThrow('could not be delivered');
    expect(c.err()).toContain('NOT delivered: root-signin');
  });
});
