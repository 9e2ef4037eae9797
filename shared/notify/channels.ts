import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import { validateSlackMessage } from '../alerts/block-kit.ts';
import { renderChatbot } from '../alerts/chatbot.ts';
import type { Alert } from '../alerts/format.ts';
import { renderSlack } from '../alerts/slack.ts';
import { buildAlertSnsMessage } from '../alerts/sns-message.ts';
import { DEFAULT_RETRY, DeliveryError, postJson, type DeliveryDeps, type RetryPolicy } from './webhook.ts';

/**
 * Where a rendered alert goes. A channel either delivers (resolves) or throws DeliveryError after
 * its own retries; the notifier then routes the alert to the dead-letter queue.
 */
export interface AlertChannel {
  readonly name: string;
  send(alert: Alert): Promise<void>;
}

/** Slack incoming webhook; the URL is fetched lazily (from SSM, cached) on first use. */
export class SlackChannel implements AlertChannel {
  readonly name = 'slack';
  readonly #url: () => Promise<string>;
  readonly #policy: RetryPolicy;
  readonly #deps: DeliveryDeps;

  constructor(url: () => Promise<string>, policy: RetryPolicy = DEFAULT_RETRY, deps: DeliveryDeps = {}) {
    this.#url = url;
    this.#policy = policy;
    this.#deps = deps;
  }

  async send(alert: Alert): Promise<void> {
    const message = renderSlack(alert);
    const problems = validateSlackMessage(message);
    if (problems.length > 0) {
      // A renderer bug must not lose the alert: it goes to the DLQ with the reason.
      throw new DeliveryError(`rendered Slack message breaks Block Kit limits: ${problems.slice(0, 3).join('; ')}`, 0, undefined, false);
    }
    let url: string;
    try {
      url = await this.#url();
    } catch (error) {
      throw new DeliveryError(`cannot read the Slack webhook URL: ${(error as Error).message}`, 0, undefined, true);
    }
    await postJson(url, message, this.#policy, this.#deps);
  }
}

/** SNS publish with a failure turned into DeliveryError (the SDK already retries throttling). */
async function publish(sns: SNSClient, input: ConstructorParameters<typeof PublishCommand>[0]): Promise<void> {
  try {
    await sns.send(new PublishCommand(input));
  } catch (error) {
    throw new DeliveryError(`SNS publish failed: ${(error as Error).name}: ${(error as Error).message}`, 1, undefined, true);
  }
}

/**
 * Amazon Q Developer in chat applications (AWS Chatbot): publishes the documented custom
 * notification JSON to the topic the Chatbot channel configuration subscribes to.
 */
export class ChatbotChannel implements AlertChannel {
  readonly name = 'chatbot';
  constructor(
    private readonly sns: SNSClient,
    private readonly topicArn: string,
  ) {}

  async send(alert: Alert): Promise<void> {
    await publish(this.sns, { TopicArn: this.topicArn, Message: JSON.stringify(renderChatbot(alert)) });
  }
}

/**
 * E-mail: publishes the de-duplicated, grouped alert as plain text to the alerts topic with
 * `kind=alert`; e-mail subscriptions filter on that attribute (the notifier's own subscription
 * filters `kind=finding`, so there is no loop). This is what keeps a 300-change burst from becoming
 * 300 e-mails (SNS also suspends e-mail endpoints above 10 messages a second).
 */
export class EmailChannel implements AlertChannel {
  readonly name = 'email';
  constructor(
    private readonly sns: SNSClient,
    private readonly topicArn: string,
  ) {}

  async send(alert: Alert): Promise<void> {
    await publish(this.sns, { TopicArn: this.topicArn, ...buildAlertSnsMessage(alert) });
  }
}
