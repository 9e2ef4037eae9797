import { DeleteMessageCommand, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { isFinding } from '../alerts/format.ts';
import type { AlertChannel } from './channels.ts';
import { SqsDeadLetterQueue, type DeadLetter } from './dead-letter.ts';
import type { NotifyLog } from './notifier.ts';

export interface RedriveStats {
  /** Letters whose failed channels all accepted the alert now; deleted from the DLQ. */
  redriven: number;
  /** Letters a channel still refused; left in the DLQ (they reappear after the visibility timeout). */
  stillFailing: number;
  /** Messages that are not notifier dead letters; left in the DLQ for a human. */
  unreadable: number;
  /** Copies the channels may show twice: letters whose first delivery was unconfirmed. */
  possibleDuplicates: number;
}

/** Parses an SQS body into a DeadLetter, or explains why it is not one. */
export function parseDeadLetter(body: string | undefined): DeadLetter | string {
  let value: unknown;
  try {
    value = JSON.parse(body ?? '');
  } catch {
    return 'body is not JSON';
  }
  const letter = value as Partial<DeadLetter> | null;
  if (!letter || typeof letter !== 'object' || !letter.alert || !Array.isArray(letter.failedChannels)) return 'not a notifier dead letter';
  const alert = letter.alert;
  if (alert.kind === 'finding' && isFinding(alert.finding)) return letter as DeadLetter;
  if (alert.kind === 'digest' && alert.digest && typeof alert.digest.count === 'number' && Array.isArray(alert.digest.samples)) return letter as DeadLetter;
  return 'alert is neither a finding nor a digest';
}

/**
 * Re-sends what is waiting in the notifier DLQ — once Slack is back or the webhook is fixed — to the
 * channels that failed (never to those that already delivered it), deleting each letter that now
 * gets through. Run on demand (`serverless invoke -f notifyRedrive`); at most `maxMessages` per run.
 */
export async function redriveDeadLetters(
  sqs: SQSClient,
  queueUrl: string,
  channels: readonly AlertChannel[],
  log: NotifyLog,
  maxMessages = 100,
): Promise<RedriveStats> {
  const stats: RedriveStats = { redriven: 0, stillFailing: 0, unreadable: 0, possibleDuplicates: 0 };
  let seen = 0;
  while (seen < maxMessages) {
    const out = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: Math.min(10, maxMessages - seen), WaitTimeSeconds: 0, VisibilityTimeout: 300 }),
    );
    const messages = out.Messages ?? [];
    if (messages.length === 0) break;
    seen += messages.length;
    for (const message of messages) {
      const letter = parseDeadLetter(message.Body);
      if (typeof letter === 'string') {
        stats.unreadable += 1;
        log.error('DLQ message is not a notifier dead letter; left for a human', { messageId: message.MessageId, reason: letter });
        continue;
      }
      const wanted = new Set(letter.failedChannels.map((c) => c.channel));
      const stillFailed: DeadLetter['failedChannels'] = [];
      for (const failedChannel of letter.failedChannels) {
        const channel = channels.find((c) => c.name === failedChannel.channel);
        if (!channel) {
          stillFailed.push(failedChannel);
          log.warn('redrive: the failed channel is not configured now', { channel: failedChannel.channel });
          continue;
        }
        if (failedChannel.unconfirmed) log.warn('redrive: re-sending an alert the channel may already show (its answer was lost)', { channel: channel.name, unconfirmed: failedChannel.unconfirmed });
        try {
          const outcome = await channel.send(letter.alert);
          stats.possibleDuplicates += (failedChannel.unconfirmed ?? 0) + (outcome?.unconfirmed ?? 0);
        } catch (error) {
          stillFailed.push({ ...failedChannel, reason: (error as Error).message });
          log.warn('redrive: channel still refuses the alert', { channel: channel.name, error: (error as Error).message });
        }
      }
      if (stillFailed.length === 0 && wanted.size > 0) {
        await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle }));
        stats.redriven += 1;
      } else if (stillFailed.length < letter.failedChannels.length) {
        // Some channels took it now: keep a letter for the others only, so the next redrive does not
        // post again to the channels that just accepted it.
        await new SqsDeadLetterQueue(sqs, queueUrl).send({ ...letter, failedChannels: stillFailed });
        await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle }));
        stats.stillFailing += 1;
      } else stats.stillFailing += 1;
    }
  }
  return stats;
}
