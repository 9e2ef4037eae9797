import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { Alert } from '../alerts/format.ts';

/**
 * An alert no channel could deliver after its retries, with enough context to redeliver it by hand
 * (or by redriving it into the notifier) and to see why it failed.
 */
export interface DeadLetter {
  alert: Alert;
  /** Channels that failed (channels that succeeded are not retried). */
  failedChannels: Array<{ channel: string; reason: string; attempts?: number; status?: number; unconfirmed?: number }>;
  at: string;
}

export interface DeadLetterQueue {
  send(letter: DeadLetter): Promise<void>;
}

/** SQS messages are at most 256 KiB; a letter above this keeps the summary and drops finding details. */
const MAX_BODY = 250_000;

/** Serialises a letter within the SQS size limit. */
export function deadLetterBody(letter: DeadLetter): string {
  const body = JSON.stringify(letter);
  if (body.length <= MAX_BODY) return body;
  const slim: Alert =
    letter.alert.kind === 'finding'
      ? { ...letter.alert, finding: { ...letter.alert.finding, details: { note: 'details dropped to fit SQS' } } }
      : { kind: 'digest', digest: { ...letter.alert.digest, samples: letter.alert.digest.samples.slice(0, 1).map((f) => ({ ...f, details: {} })) } };
  return JSON.stringify({ ...letter, alert: slim }).slice(0, MAX_BODY);
}

/** The notifier's dead-letter queue (SQS SendMessage; see docs/alerts.md "No losses"). */
export class SqsDeadLetterQueue implements DeadLetterQueue {
  constructor(
    private readonly sqs: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async send(letter: DeadLetter): Promise<void> {
    await this.sqs.send(
      new SendMessageCommand({
        QueueUrl: this.queueUrl,
        MessageBody: deadLetterBody(letter),
        MessageAttributes: {
          kind: { DataType: 'String', StringValue: letter.alert.kind },
          channels: { DataType: 'String', StringValue: letter.failedChannels.map((c) => c.channel).join(',') || 'none' },
        },
      }),
    );
  }
}
