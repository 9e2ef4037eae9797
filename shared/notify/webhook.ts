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
  /** Per-request timeout of the first attempt. */
  timeoutMs: number;
  /**
   * Timeout of an attempt that follows an unconfirmed one (a timeout or a reset after the body was
   * sent): Slack was slow, so wait longer for its answer rather than post a third copy.
   */
  retryTimeoutMs: number;
  /**
   * How many attempts may end unconfirmed before giving up to the DLQ. Each unconfirmed attempt may
   * have been posted, so this bounds the duplicates one delivery can make (docs/alerts.md).
   */
  maxUnconfirmed: number;
  /** An attempt is not started with less than this left before the deadline. */
  minAttemptMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = {
  maxAttempts: 5,
  baseDelayMs: 500,
  maxDelayMs: 20_000,
  timeoutMs: 10_000,
  retryTimeoutMs: 25_000,
  maxUnconfirmed: 2,
  minAttemptMs: 3_000,
};

export interface DeliveryDeps {
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
  /** 0 ≤ x < 1, for jitter. */
  random?: () => number;
  /** Clock for the deadline (epoch ms); tests inject a virtual one. */
  now?: () => number;
  /** The abort signal for one attempt of `ms` (tests shorten real waits while keeping virtual time). */
  timeoutSignal?: (ms: number) => AbortSignal;
}

/** Why a delivery failed for good; carries what the DLQ record and the log need. */
export class DeliveryError extends Error {
  readonly attempts: number;
  readonly status: number | undefined;
  readonly retryable: boolean;
  /** Attempts whose outcome is unknown (the post may be in the channel already). */
  readonly unconfirmed: number;
  constructor(message: string, attempts: number, status: number | undefined, retryable: boolean, unconfirmed = 0) {
    super(message);
    this.name = 'DeliveryError';
    this.attempts = attempts;
    this.status = status;
    this.retryable = retryable;
    this.unconfirmed = unconfirmed;
  }
}

export interface DeliveryResult {
  attempts: number;
  status: number;
  /** Earlier attempts that ended unconfirmed: each may have posted a copy (a possible duplicate). */
  unconfirmed: number;
}

/**
 * Options for one delivery: how long it may take from now (ms). Relative, so a channel with its own
 * clock cannot misread the caller's deadline.
 */
export interface DeliveryBudget {
  timeLeftMs?: number;
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

/** Network errors where the request provably never reached the server (nothing can have been posted). */
const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH', 'ERR_INVALID_URL', 'UND_ERR_CONNECT_TIMEOUT']);

function errorCode(error: unknown): string | undefined {
  const e = error as { code?: unknown; cause?: { code?: unknown } } | undefined;
  const code = e?.cause?.code ?? e?.code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * POSTs `body` as JSON to `url` with Slack's retry rules, within `budget.timeLeftMs`. Resolves on 2xx;
 * throws DeliveryError when attempts or time run out, when too many attempts ended unconfirmed, or
 * on a non-retryable 4xx. The URL never appears in errors.
 *
 * Outcomes per attempt: 2xx delivered; 429 / 5xx / connection refused: not posted, retried; a
 * timeout or a reset once connected: unconfirmed (Slack may have posted it), retried at most
 * `maxUnconfirmed - 1` times with the longer `retryTimeoutMs`.
 */
export async function postJson(url: string, body: unknown, policy: RetryPolicy = DEFAULT_RETRY, deps: DeliveryDeps = {}, budget: DeliveryBudget = {}): Promise<DeliveryResult> {
  const doFetch = deps.fetch ?? fetch;
  const sleep = deps.sleep ?? realSleep;
  const random = deps.random ?? Math.random;
  const now = deps.now ?? Date.now;
  const signalFor = deps.timeoutSignal ?? ((ms: number) => AbortSignal.timeout(ms));
  const deadline = now() + (budget.timeLeftMs ?? Number.POSITIVE_INFINITY);
  const payload = JSON.stringify(body);
  let lastStatus: number | undefined;
  let lastReason = 'no attempt made';
  let unconfirmed = 0;
  let attempt = 0;
  while (attempt < policy.maxAttempts) {
    const remaining = deadline - now();
    if (remaining < policy.minAttemptMs) {
      throw new DeliveryError(`out of time before attempt ${attempt + 1} (${Math.max(0, Math.round(remaining))} ms left): ${lastReason}`, attempt, lastStatus, true, unconfirmed);
    }
    attempt += 1;
    const timeout = Math.min(unconfirmed > 0 ? policy.retryTimeoutMs : policy.timeoutMs, remaining);
    const started = now();
    let wait: number | undefined;
    try {
      const response = await doFetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json; charset=utf-8' },
        body: payload,
        signal: signalFor(timeout),
      });
      const text = await response.text().catch(() => '');
      if (now() - started > timeout) throw Object.assign(new Error(`no answer within ${timeout} ms`), { name: 'TimeoutError' });
      lastStatus = response.status;
      if (response.ok) return { attempts: attempt, status: response.status, unconfirmed };
      lastReason = `HTTP ${response.status}${text ? ` ${text.slice(0, 200)}` : ''}`;
      if (response.status === 429) {
        const after = retryAfterMs(response.headers.get('retry-after'), now());
        wait = after ?? backoff(policy, attempt, random);
        if (wait > policy.maxDelayMs) {
          throw new DeliveryError(`rate limited for ${wait} ms (more than ${policy.maxDelayMs} ms): ${lastReason}`, attempt, 429, true, unconfirmed);
        }
      } else if (response.status >= 500) {
        wait = backoff(policy, attempt, random);
      } else {
        throw new DeliveryError(`rejected: ${lastReason}`, attempt, response.status, false, unconfirmed);
      }
    } catch (error) {
      if (error instanceof DeliveryError) throw error;
      const e = error as Error;
      const code = errorCode(e);
      lastStatus = undefined;
      if (code && NOT_SENT_CODES.has(code)) {
        lastReason = `network error (not sent): ${code}`;
      } else {
        // A timeout or a reset after connecting: Slack may have posted it. Retried, but bounded.
        unconfirmed += 1;
        lastReason = `${e.name === 'TimeoutError' || e.name === 'AbortError' ? `no answer within ${timeout} ms` : `connection lost: ${code ?? e.name}: ${e.message}`} (unconfirmed: Slack may have posted it)`.replace(url, redactUrl(url));
        if (unconfirmed >= policy.maxUnconfirmed) {
          throw new DeliveryError(`gave up after ${unconfirmed} unconfirmed attempts: ${lastReason}`, attempt, undefined, true, unconfirmed);
        }
      }
      wait = backoff(policy, attempt, random);
    }
    if (attempt >= policy.maxAttempts) break;
    if (now() + wait + policy.minAttemptMs > deadline) {
      throw new DeliveryError(`out of time: waiting ${wait} ms would pass the deadline: ${lastReason}`, attempt, lastStatus, true, unconfirmed);
    }
    if (wait > 0) await sleep(wait);
  }
  throw new DeliveryError(`gave up after ${policy.maxAttempts} attempts: ${lastReason}`, policy.maxAttempts, lastStatus, true, unconfirmed);
}

function backoff(policy: RetryPolicy, attempt: number, random: () => number): number {
  const exp = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  // "Equal jitter": half fixed, half random, so concurrent notifiers spread out but still wait.
  return Math.round(exp / 2 + (random() * exp) / 2);
}
