import type { Alert } from '../alerts/format.ts';
import type { AlertChannel, SendOutcome } from './channels.ts';
import type { DeliveryBudget } from './webhook.ts';

/**
 * Slack allows about one message per second per incoming webhook and answers bursts with 429. A
 * replay can find dozens of alerts in a fraction of a second, so local posting is paced: sends start
 * at least `intervalMs` apart (1.1 s by default: a little under Slack's rate, so 429s stay rare).
 */
export const SLACK_INTERVAL_MS = 1100;

export interface PacerDeps {
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

/** Wraps a channel so its sends start at least `intervalMs` apart. */
export class PacedChannel implements AlertChannel {
  readonly name: string;
  #next = Number.NEGATIVE_INFINITY;
  readonly #now: () => number;
  readonly #sleep: (ms: number) => Promise<void>;

  constructor(
    private readonly inner: AlertChannel,
    private readonly intervalMs: number = SLACK_INTERVAL_MS,
    deps: PacerDeps = {},
  ) {
    this.name = inner.name;
    this.#now = deps.now ?? Date.now;
    this.#sleep = deps.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  async send(alert: Alert, budget?: DeliveryBudget): Promise<SendOutcome | void> {
    const wait = this.#next - this.#now();
    if (wait > 0) await this.#sleep(wait);
    this.#next = this.#now() + this.intervalMs;
    return this.inner.send(alert, budget);
  }
}

/** How long posting `count` alerts at one per `intervalMs` takes, for humans: "about 1 min 18 s". */
export function pacingEstimate(count: number, intervalMs: number = SLACK_INTERVAL_MS): string {
  const seconds = Math.round((Math.max(0, count - 1) * intervalMs) / 1000);
  if (seconds < 60) return `about ${seconds} s`;
  return `about ${Math.floor(seconds / 60)} min ${seconds % 60} s`;
}
