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

  it('--slack-webhook posts every finding exactly once in valid Block Kit, through a 429', async () => {
    slack.script = { 1: { status: 429, headers: { 'retry-after': '0' } } };
    const c = capture();
    const code = await run(['--slack-webhook', slack.url, '--quiet', '--no-rates', ROOT_DIR], c.io);
    expect(code).toBe(0);
    const delivered = slack.delivered();
    // positive-failure, positive-success-mfa, positive-success-no-mfa fire; the IAM-user sign-in does not.
    expect(delivered).toHaveLength(3);
    for (const m of delivered) expect(validateSlackMessage(m)).toEqual([]);
    expect(new Set(delivered.map((m) => String(m['text']))).size).toBe(3);
    expect(c.err()).toContain('slack: 3 of 3 alert(s) posted');
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
