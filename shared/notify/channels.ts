import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import { validateSlackMessage } from '../alerts/block-kit.ts';
import { renderChatbot } from '../alerts/chatbot.ts';
import type { Alert } from '../alerts/format.ts';
import { renderSlack } from '../alerts/slack.ts';
import { buildAlertSnsMessage } from '../alerts/sns-message.ts';
import type { RenderContext } from '../alerts/context.ts';
import { DEFAULT_RETRY, DeliveryError, postJson, type DeliveryBudget, type DeliveryDeps, type RetryPolicy } from './webhook.ts';

/**
 * Where a rendered alert goes. A channel either delivers (resolves) or throws DeliveryError after
 * its own retries; the notifier then routes the alert to the dead-letter queue.
 */
export interface AlertChannel {
  readonly name: string;
  /**
   * Delivers within `budget.timeLeftMs` or throws. May report `unconfirmed` attempts: earlier tries
   * whose answer was lost, so the channel may show the alert more than once (counted, see docs/alerts.md).
   */
  send(alert: Alert, budget?: DeliveryBudget): Promise<SendOutcome | void>;
}

/** What a successful send reports. */
export interface SendOutcome {
  /** Earlier attempts of this send that may also have posted (possible duplicates). */
  unconfirmed?: number;
}

/** Slack incoming webhook; the URL is fetched lazily (from SSM, cached) on first use. */
export class SlackChannel implements AlertChannel {
  readonly name = 'slack';
  readonly #url: () => Promise<string>;
  readonly #policy: RetryPolicy;
  readonly #deps: DeliveryDeps;

  readonly #context: RenderContext | undefined;

  constructor(url: () => Promise<string>, policy: RetryPolicy = DEFAULT_RETRY, deps: DeliveryDeps = {}, context?: RenderContext) {
    this.#url = url;
    this.#policy = policy;
    this.#deps = deps;
    this.#context = context;
  }

  async send(alert: Alert, budget: DeliveryBudget = {}): Promise<SendOutcome> {
    const message = renderSlack(alert, this.#context);
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
    const result = await postJson(url, message, this.#policy, this.#deps, budget);
    return { unconfirmed: result.unconfirmed };
  }
}

/**
 * SNS publish with a failure turned into DeliveryError (the SDK already retries throttling), aborted
 * at the delivery deadline so a hanging SNS endpoint cannot run the function past its timeout.
 */
async function publish(sns: SNSClient, input: ConstructorParameters<typeof PublishCommand>[0], budget: DeliveryBudget): Promise<void> {
  const left = budget.timeLeftMs;
  if (left !== undefined && left <= 0) throw new DeliveryError('SNS publish not started: out of time', 0, undefined, true);
  try {
    await sns.send(new PublishCommand(input), left !== undefined && Number.isFinite(left) ? { abortSignal: AbortSignal.timeout(left) } : {});
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
    private readonly context?: RenderContext,
  ) {}

  async send(alert: Alert, budget: DeliveryBudget = {}): Promise<void> {
    await publish(this.sns, { TopicArn: this.topicArn, Message: JSON.stringify(renderChatbot(alert, this.context)) }, budget);
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
    private readonly context?: RenderContext,
  ) {}

  async send(alert: Alert, budget: DeliveryBudget = {}): Promise<void> {
    await publish(this.sns, { TopicArn: this.topicArn, ...buildAlertSnsMessage(alert, this.context) }, budget);
  }
}
