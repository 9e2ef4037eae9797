/**
 * Posting JSON to a Slack incoming webhook, the way Slack asks: on HTTP 429 wait `Retry-After`
 * seconds, retry 5xx and network errors with exponential backoff and jitter, never retry other
 * 4xx (a 400 `invalid_blocks` or a 404 `no_service` will not fix itself). The sleeper and clock are
 * injected so tests do not wait real seconds.
 */

export interface RetryPolicy {
  /** Total attempts including the first. */
  maxAttempts: number;
  /** First backoff for 5xx / network errors, doubled each attempt. */
  baseDelayMs: number;
  /** Cap for one backoff or Retry-After wait; a longer Retry-After gives up (the DLQ takes over). */
  maxDelayMs: number;
  /** Per-request timeout. */
  timeoutMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 5, baseDelayMs: 500, maxDelayMs: 20_000, timeoutMs: 10_000 };

export interface DeliveryDeps {
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
  /** 0 ≤ x < 1, for jitter. */
  random?: () => number;
}

/** Why a delivery failed for good; carries what the DLQ record and the log need. */
export class DeliveryError extends Error {
  readonly attempts: number;
  readonly status: number | undefined;
  readonly retryable: boolean;
  constructor(message: string, attempts: number, status: number | undefined, retryable: boolean) {
    super(message);
    this.name = 'DeliveryError';
    this.attempts = attempts;
    this.status = status;
    this.retryable = retryable;
  }
}

export interface DeliveryResult {
  attempts: number;
  status: number;
}

const realSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Parses `Retry-After` (seconds or an HTTP date) into milliseconds; undefined when absent/garbled. */
export function retryAfterMs(header: string | null, now: number = Date.now()): number | undefined {
  if (!header) return undefined;
  const trimmed = header.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** Hides the secret path of a webhook URL (`https://hooks.slack.com/services/T…/B…/xxxx`) for logs and errors. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}/…`;
  } catch {
    return '<invalid url>';
  }
}

/**
 * POSTs `body` as JSON to `url` with Slack's retry rules. Resolves on 2xx; throws DeliveryError
 * when attempts run out or the response is a non-retryable 4xx. The URL never appears in errors.
 */
export async function postJson(url: string, body: unknown, policy: RetryPolicy = DEFAULT_RETRY, deps: DeliveryDeps = {}): Promise<DeliveryResult> {
  const doFetch = deps.fetch ?? fetch;
  const sleep = deps.sleep ?? realSleep;
  const random = deps.random ?? Math.random;
  const payload = JSON.stringify(body);
  let lastStatus: number | undefined;
  let lastReason = 'no attempt made';
  for (let attempt = 1; attempt <= policy.maxAttempts; attempt++) {
    let wait: number;
    try {
      const response = await doFetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json; charset=utf-8' },
        body: payload,
        signal: AbortSignal.timeout(policy.timeoutMs),
      });
      lastStatus = response.status;
      const text = await response.text().catch(() => '');
      if (response.ok) return { attempts: attempt, status: response.status };
      lastReason = `HTTP ${response.status}${text ? ` ${text.slice(0, 200)}` : ''}`;
      if (response.status === 429) {
        const after = retryAfterMs(response.headers.get('retry-after'));
        wait = after ?? Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
        if (wait > policy.maxDelayMs) {
          throw new DeliveryError(`rate limited for ${wait} ms (more than ${policy.maxDelayMs} ms): ${lastReason}`, attempt, 429, true);
        }
      } else if (response.status >= 500) {
        wait = backoff(policy, attempt, random);
      } else {
        throw new DeliveryError(`rejected: ${lastReason}`, attempt, response.status, false);
      }
    } catch (error) {
      if (error instanceof DeliveryError) throw error;
      lastStatus = undefined;
      lastReason = `network error: ${(error as Error).name}: ${(error as Error).message}`.replace(url, redactUrl(url));
      wait = backoff(policy, attempt, random);
    }
    if (attempt < policy.maxAttempts) await sleep(wait);
  }
  throw new DeliveryError(`gave up after ${policy.maxAttempts} attempts: ${lastReason}`, policy.maxAttempts, lastStatus, true);
}

function backoff(policy: RetryPolicy, attempt: number, random: () => number): number {
  const exp = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  // "Equal jitter": half fixed, half random, so concurrent notifiers spread out but still wait.
  return Math.round(exp / 2 + (random() * exp) / 2);
}
