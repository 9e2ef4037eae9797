import { DeleteMessageCommand, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { isFinding } from '../alerts/format.ts';
import type { AlertChannel } from './channels.ts';
import { SqsDeadLetterQueue, type DeadLetter } from './dead-letter.ts';
import type { NotifyLog } from './notifier.ts';
import { DeliveryError } from './webhook.ts';

export interface RedriveStats {
  /** Letters whose failed channels all accepted the alert now; deleted from the DLQ. */
  redriven: number;
  /** Letters a channel still refused; left in the DLQ (they reappear after the visibility timeout). */
  stillFailing: number;
  /** Messages that are not notifier dead letters; left in the DLQ for a human. */
  unreadable: number;
  /** Copies the channels may show twice: letters whose first delivery was unconfirmed. */
  possibleDuplicates: number;
  /**
   * Letters received but not tried because the run's time was up; untouched in the DLQ, they are
   * visible again after the receive's visibility timeout (5 minutes) for the next run.
   */
  leftForNextRun: number;
}

/** The time limit of one redrive run (the Lambda's remaining time minus a margin), on `now`'s clock. */
export interface RedriveTiming {
  deadline?: number;
  now?: () => number;
}

/**
 * A letter is not started with less than this left: one whole first Slack attempt (its 10 s timeout)
 * and the DeleteMessage. A shorter attempt could time out on a slow Slack that then posts anyway.
 */
export const REDRIVE_MIN_LETTER_MS = 12_000;

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
 * With a `deadline` every send gets only the time left, and no letter is started when less than
 * `REDRIVE_MIN_LETTER_MS` remains: the run ends inside the function timeout instead of being killed
 * between a post and its DeleteMessage (which would post that letter again on the next run).
 */
export async function redriveDeadLetters(
  sqs: SQSClient,
  queueUrl: string,
  channels: readonly AlertChannel[],
  log: NotifyLog,
  maxMessages = 100,
  timing: RedriveTiming = {},
): Promise<RedriveStats> {
  const stats: RedriveStats = { redriven: 0, stillFailing: 0, unreadable: 0, possibleDuplicates: 0, leftForNextRun: 0 };
  const now = timing.now ?? Date.now;
  const deadline = timing.deadline ?? Number.POSITIVE_INFINITY;
  const timeUp = (): boolean => deadline - now() < REDRIVE_MIN_LETTER_MS;
  let seen = 0;
  while (seen < maxMessages && !timeUp()) {
    const out = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: Math.min(10, maxMessages - seen), WaitTimeSeconds: 0, VisibilityTimeout: 300 }),
    );
    const messages = out.Messages ?? [];
    if (messages.length === 0) break;
    seen += messages.length;
    for (const [i, message] of messages.entries()) {
      if (timeUp()) {
        stats.leftForNextRun += messages.length - i;
        log.warn('redrive: out of time; the remaining letters stay in the DLQ for the next run', { left: messages.length - i });
        break;
      }
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
          const outcome = await channel.send(letter.alert, Number.isFinite(deadline) ? { timeLeftMs: deadline - now() } : {});
          stats.possibleDuplicates += (failedChannel.unconfirmed ?? 0) + (outcome?.unconfirmed ?? 0);
        } catch (error) {
          // An attempt whose answer was lost may have posted: counted now, since the next run posts again.
          if (error instanceof DeliveryError) stats.possibleDuplicates += error.unconfirmed;
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
