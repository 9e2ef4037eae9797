import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ChangeMessageVisibilityCommand, CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { TestProject } from 'vitest/node';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { ROOT } from '../helpers/events.ts';
import setup, { startMoto } from './moto-global-setup.ts';
import { clientConfig, motoAccount } from './moto-stack.ts';

// The launcher (scripts/moto-server.py) and the tier's global setup: the skip / CI=true paths, and
// that the launcher's speed-ups of moto leave SQS's behaviour as moto has it.

const endpoint = inject('motoEndpoint');
const unavailable = inject('motoUnavailable');
const PYTHON = process.env['TRAILWATCH_PYTHON'] ?? 'python3';

/** A TestProject stand-in recording what the setup provides. */
function fakeProject(): { project: TestProject; provided: Record<string, unknown> } {
  const provided: Record<string, unknown> = {};
  return { project: { provide: (key: string, value: unknown) => void (provided[key] = value) } as unknown as TestProject, provided };
}

describe('moto global setup: where moto cannot start', () => {
  const saved = { python: process.env['TRAILWATCH_PYTHON'], ci: process.env['CI'] };
  const dir = mkdtempSync(join(tmpdir(), 'trailwatch-moto-'));
  // A Python without site-packages: it runs, but cannot import moto (the launcher exits before listening).
  const noSite = join(dir, 'python-no-site');
  writeFileSync(noSite, `#!/bin/sh\nexec ${PYTHON} -S "$@"\n`);
  chmodSync(noSite, 0o755);
  afterEach(() => {
    for (const [k, v] of [['TRAILWATCH_PYTHON', saved.python], ['CI', saved.ci]] as const) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  for (const [label, python, reason] of [
    ['no such Python', join(dir, 'missing-python'), /cannot run .*missing-python/],
    ['a Python without moto', noSite, /exited with code 1 before listening: .*ModuleNotFoundError/],
  ] as const) {
    it(`${label}: locally the tier is skipped with the reason`, async () => {
      process.env['TRAILWATCH_PYTHON'] = python;
      delete process.env['CI'];
      const { project, provided } = fakeProject();
      const teardown = await setup(project);
      expect(provided['motoEndpoint']).toBe('');
      expect(String(provided['motoUnavailable'])).toMatch(/^moto tier skipped: /);
      expect(String(provided['motoUnavailable'])).toMatch(reason);
      await teardown();
    });

    it(`${label}: under CI=true the run fails`, async () => {
      process.env['TRAILWATCH_PYTHON'] = python;
      process.env['CI'] = 'true';
      const { project, provided } = fakeProject();
      await expect(setup(project)).rejects.toThrow(/moto tier: .*CI=true: moto is part of the image/);
      expect(provided).toEqual({});
    });
  }
});

describe.skipIf(!endpoint)(`moto launcher: its speed-ups leave moto's answers as they were${unavailable ? ` (${unavailable})` : ''}`, () => {
  it('starts a second server on another free port, which answers and stops', async () => {
    const moto = await startMoto();
    try {
      expect(moto.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(moto.endpoint).not.toBe(endpoint);
      const account = await motoAccount(moto.endpoint);
      expect(account.accountId).toMatch(/^\d{12}$/);
    } finally {
      await moto.stop();
    }
    await expect(fetch(moto.endpoint)).rejects.toThrow();
  });

  it('the patched module list, clock and name conversion give what moto\'s own functions give', () => {
    const check = `
import json, os, runpy, time
from datetime import datetime
runpy.run_path(${JSON.stringify(join(ROOT, 'scripts', 'moto-server.py'))}, run_name='launcher')
import moto, moto.backends, moto.sqs.models as sqs, moto.core.utils as core
path = os.path.dirname(moto.__file__)
fresh = sorted(b for b in os.listdir(path) if os.path.isdir(os.path.join(path, b)) and not b.startswith('__'))
names = ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'MessageRetentionPeriod', 'RedrivePolicy', 'KmsMasterKeyId']
print(json.dumps({
  'modules': list(moto.backends.list_of_moto_modules()) == fresh and len(fresh) > 100,
  'patched': sqs.unix_time is not core.unix_time and sqs.unix_time_millis is not core.unix_time_millis,
  'clock': abs(sqs.unix_time() - core.unix_time()) < 1 and abs(sqs.unix_time_millis() - core.unix_time_millis()) < 1000,
  'datetime': sqs.unix_time(datetime(2020, 1, 1)) == core.unix_time(datetime(2020, 1, 1)) == 1577836800,
  'names': [sqs.camelcase_to_underscores(n) for n in names] == [core.camelcase_to_underscores(n) for n in names],
}))`;
    const out = JSON.parse(execFileSync(PYTHON, ['-c', check], { encoding: 'utf8' })) as Record<string, boolean>;
    expect(out).toEqual({ modules: true, patched: true, clock: true, datetime: true, names: true });
  });

  describe('SQS on the launched server: delays, visibility, receive counts, redrive, timestamps', () => {
    let sqs: SQSClient;
    beforeAll(async () => {
      sqs = new SQSClient(clientConfig(await motoAccount(endpoint)));
    });
    const counts = async (QueueUrl: string) => {
      const { Attributes = {} } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['All'] }));
      return { visible: Attributes['ApproximateNumberOfMessages'], inFlight: Attributes['ApproximateNumberOfMessagesNotVisible'], delayed: Attributes['ApproximateNumberOfMessagesDelayed'] };
    };
    const receive = async (QueueUrl: string, VisibilityTimeout = 30) =>
      (await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0, VisibilityTimeout, MessageSystemAttributeNames: ['All'] }))).Messages ?? [];

    it('a delayed message is counted as delayed and received only after its delay', async () => {
      const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'launcher-delay' }));
      await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'later', DelaySeconds: 1 }));
      expect(await counts(QueueUrl!)).toEqual({ visible: '0', inFlight: '0', delayed: '1' });
      expect(await receive(QueueUrl!)).toEqual([]);
      await new Promise((r) => setTimeout(r, 1_500));
      expect((await receive(QueueUrl!)).map((m) => m.Body)).toEqual(['later']);
    });

    it('a received message is in flight until its visibility ends, then received again with its count and an epoch timestamp', async () => {
      const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'launcher-visibility' }));
      const before = Date.now();
      await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'once' }));
      const [first] = await receive(QueueUrl!);
      expect(first?.Body).toBe('once');
      const sent = Number(first?.Attributes?.['SentTimestamp']);
      expect(sent).toBeGreaterThanOrEqual(before - 2_000);
      expect(sent).toBeLessThanOrEqual(Date.now() + 2_000);
      expect(await counts(QueueUrl!)).toEqual({ visible: '0', inFlight: '1', delayed: '0' });
      expect(await receive(QueueUrl!)).toEqual([]);
      await sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl, ReceiptHandle: first!.ReceiptHandle!, VisibilityTimeout: 0 }));
      await new Promise((r) => setTimeout(r, 20));
      const again = await receive(QueueUrl!);
      expect(again.map((m) => [m.Body, m.Attributes?.['ApproximateReceiveCount']])).toEqual([['once', '2']]);
    });

    it('a message received maxReceiveCount times moves to the dead-letter queue', async () => {
      const dlq = await sqs.send(new CreateQueueCommand({ QueueName: 'launcher-dlq' }));
      const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlq.QueueUrl, AttributeNames: ['QueueArn'] }));
      const { QueueUrl } = await sqs.send(
        new CreateQueueCommand({ QueueName: 'launcher-source', Attributes: { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: Attributes?.['QueueArn'], maxReceiveCount: 1 }) } }),
      );
      await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'poison' }));
      expect((await receive(QueueUrl!, 0)).map((m) => m.Body)).toEqual(['poison']);
      await new Promise((r) => setTimeout(r, 20));
      expect(await receive(QueueUrl!, 0)).toEqual([]);
      expect((await receive(dlq.QueueUrl!)).map((m) => m.Body)).toEqual(['poison']);
    });
  });
});
