/**
 * A small signed-HTTP path to AWS for the four calls the alerting path makes (SNS PublishBatch,
 * EventBridge PutEvents, CloudWatch PutMetricData, DynamoDB UpdateItem/GetItem/PutItem): SigV4 by
 * the `aws4` library, one keep-alive HTTPS agent, bounded retries with backoff and full jitter that
 * stop before the invocation's deadline, and AWS error responses parsed into `AwsApiError`.
 *
 * Why not the AWS SDK here: the SDK's clients cost ~85 ms of CPU and ~380 KB on every cold start
 * (docs/performance.md "Cold start"). The SDK stays for every other call (IAM, SSM,
 * Organizations, SQS), loaded with import() where it is needed. The per-service serialisers are
 * beside this file (sns.ts, eventbridge.ts, cloudwatch.ts, dynamodb.ts).
 *
 * Configuration is the SDK's, from the environment (what Lambda sets): AWS_REGION (or
 * AWS_DEFAULT_REGION), AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN (else the
 * SDK's default credential chain, imported on first use), AWS_ENDPOINT_URL_<SERVICE> and
 * AWS_ENDPOINT_URL (unless AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true), AWS_MAX_ATTEMPTS.
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import aws4 from 'aws4';
import { AwsApiError } from './errors.ts';

type Env = Record<string, string | undefined>;

/** One AWS service as this transport needs it. */
export interface ServiceSpec {
  /** Endpoint prefix: `sns`, `events`, `monitoring`, `dynamodb`. */
  endpointPrefix: string;
  /** SigV4 signing name (equal to the prefix for these four). */
  signingName: string;
  /** The SDK's environment-variable suffix: AWS_ENDPOINT_URL_<envName>. */
  envName: string;
}

export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  /** When the credentials stop working (from the SDK chain); undefined = they do not expire here. */
  expiration?: Date;
}

export interface AwsHttpOptions {
  env?: Env;
  /** Attempts per call, including the first. Default AWS_MAX_ATTEMPTS, else 3 (the SDK's default). */
  maxAttempts?: number;
  /**
   * Milliseconds left before the caller must be done (Lambda: `context.getRemainingTimeInMillis()`).
   * A retry is attempted only when its backoff plus a minimal request fits in what is left, and
   * each request's timeout is capped by it.
   */
  remainingMs?: () => number | undefined;
  /** Where credentials come from when the environment has none. Default: the SDK's chain, imported lazily. */
  credentials?: () => Promise<AwsCredentials>;
  /** Jitter source (tests). */
  random?: () => number;
  /** Backoff sleep (tests). */
  sleep?: (ms: number) => Promise<void>;
}

export interface AwsRequest {
  service: ServiceSpec;
  /** For logs and errors: `PublishBatch`, `PutEvents`… */
  operation: string;
  headers: Record<string, string>;
  body: string;
}

export interface AwsResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** Decodes a non-2xx response into an error (each protocol knows its own error shape). */
export type ErrorParser = (response: AwsResponse) => { code: string; message: string; fault?: 'client' | 'server' };

/** Backoff base (ms) and cap, as the SDK's standard retry strategy: full jitter, 100 ms base, 500 ms when throttled, 20 s cap. */
const BASE_DELAY_MS = 100;
const THROTTLING_BASE_DELAY_MS = 500;
const MAX_DELAY_MS = 20_000;
/** A request needs at least this long: a retry that cannot have it is not attempted. */
const MIN_REQUEST_MS = 250;
/** Time kept back for the handler after the last attempt (logging, throwing). */
const DEADLINE_MARGIN_MS = 500;
/** Socket timeout when no deadline is known. */
const DEFAULT_TIMEOUT_MS = 30_000;

/** Error codes AWS documents as throttling or transient (the SDK's retry lists). */
const THROTTLING_CODES = new Set([
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'RequestThrottledException',
  'TooManyRequestsException',
  'ProvisionedThroughputExceededException',
  'TransactionInProgressException',
  'RequestLimitExceeded',
  'BandwidthLimitExceeded',
  'LimitExceededException',
  'RequestThrottled',
  'SlowDown',
  'PriorRequestNotComplete',
  'EC2ThrottledException',
]);
const TRANSIENT_CODES = new Set(['TimeoutError', 'RequestTimeout', 'RequestTimeoutException', 'InternalError', 'InternalFailure', 'InternalServerError', 'ServiceUnavailable', 'ServiceUnavailableException']);
const TRANSIENT_STATUS = new Set([500, 502, 503, 504]);

/** Network errors worth another attempt (connection reset, refused while a service restarts, DNS hiccup). */
const RETRYABLE_NETWORK = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN', 'ENOTFOUND', 'ECONNABORTED', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_SOCKET']);

export class AwsHttp {
  readonly #env: Env;
  readonly #maxAttempts: number;
  readonly #options: AwsHttpOptions;
  #agents: { http?: HttpAgent; https?: HttpsAgent } = {};
  #chain: Promise<AwsCredentials> | undefined;
  #cached: AwsCredentials | undefined;

  constructor(options: AwsHttpOptions = {}) {
    this.#options = options;
    this.#env = options.env ?? process.env;
    const fromEnv = Number.parseInt(this.#env['AWS_MAX_ATTEMPTS'] ?? '', 10);
    this.#maxAttempts = Math.max(1, options.maxAttempts ?? (Number.isFinite(fromEnv) ? fromEnv : 3));
  }

  get region(): string {
    const region = this.#env['AWS_REGION']?.trim() || this.#env['AWS_DEFAULT_REGION']?.trim();
    if (!region) throw new AwsApiError({ code: 'ConfigurationError', message: 'AWS_REGION is not set', service: 'config', operation: 'region', fault: 'client', retryable: false });
    return region;
  }

  /** The endpoint for a service: AWS_ENDPOINT_URL_<SERVICE>, AWS_ENDPOINT_URL, else the regional AWS endpoint. */
  endpoint(service: ServiceSpec): URL {
    const ignore = this.#env['AWS_IGNORE_CONFIGURED_ENDPOINT_URLS']?.trim().toLowerCase() === 'true';
    const configured = ignore ? undefined : this.#env[`AWS_ENDPOINT_URL_${service.envName}`]?.trim() || this.#env['AWS_ENDPOINT_URL']?.trim();
    if (configured) return new URL(configured);
    const region = this.region;
    const suffix = region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com';
    return new URL(`https://${service.endpointPrefix}.${region}.${suffix}`);
  }

  /** Sends one signed POST, retrying throttling, 5xx and network faults; throws AwsApiError for anything else. */
  async send(request: AwsRequest, parseError: ErrorParser): Promise<AwsResponse> {
    const url = this.endpoint(request.service);
    let lastError: AwsApiError | undefined;
    for (let attempt = 1; attempt <= this.#maxAttempts; attempt++) {
      const remaining = this.#options.remainingMs?.();
      let response: AwsResponse | undefined;
      try {
        response = await this.#once(url, request, remaining);
      } catch (error) {
        const e = error as NodeJS.ErrnoException;
        const code = e.code === 'TimeoutError' || e.name === 'TimeoutError' ? 'TimeoutError' : (e.code ?? 'NetworkingError');
        lastError =
          error instanceof AwsApiError
            ? error
            : new AwsApiError({ code, message: e.message, service: request.service.endpointPrefix, operation: request.operation, fault: 'server', retryable: code === 'TimeoutError' || RETRYABLE_NETWORK.has(code), attempts: attempt });
      }
      if (response) {
        if (response.status >= 200 && response.status < 300) return response;
        const parsed = parseError(response);
        const throttled = THROTTLING_CODES.has(parsed.code) || response.status === 429;
        const retryable = throttled || TRANSIENT_CODES.has(parsed.code) || TRANSIENT_STATUS.has(response.status);
        lastError = new AwsApiError({
          code: parsed.code,
          message: parsed.message,
          service: request.service.endpointPrefix,
          operation: request.operation,
          statusCode: response.status,
          requestId: header(response.headers, 'x-amzn-requestid') ?? header(response.headers, 'x-amz-request-id'),
          fault: parsed.fault ?? (response.status >= 500 ? 'server' : 'client'),
          retryable,
          throttled,
          attempts: attempt,
        });
      }
      if (!lastError?.retryable || attempt === this.#maxAttempts) break;
      const base = lastError.throttled ? THROTTLING_BASE_DELAY_MS : BASE_DELAY_MS;
      const delay = Math.floor((this.#options.random ?? Math.random)() * Math.min(MAX_DELAY_MS, base * 2 ** (attempt - 1)));
      const left = this.#options.remainingMs?.();
      if (left !== undefined && left - DEADLINE_MARGIN_MS < delay + MIN_REQUEST_MS) break;
      await (this.#options.sleep ?? sleep)(delay);
    }
    throw lastError ?? new AwsApiError({ code: 'NoAttempt', message: 'no request was sent', service: request.service.endpointPrefix, operation: request.operation, fault: 'client', retryable: false });
  }

  async #once(url: URL, request: AwsRequest, remaining: number | undefined): Promise<AwsResponse> {
    const credentials = await this.credentials();
    const secure = url.protocol === 'https:';
    const path = url.pathname && url.pathname !== '' ? url.pathname : '/';
    const signed = aws4.sign(
      {
        host: url.hostname,
        path,
        method: 'POST',
        service: request.service.signingName,
        region: this.region,
        headers: { ...request.headers, Host: url.host, 'Content-Length': String(Buffer.byteLength(request.body)) },
        body: request.body,
      },
      { accessKeyId: credentials.accessKeyId, secretAccessKey: credentials.secretAccessKey, ...(credentials.sessionToken ? { sessionToken: credentials.sessionToken } : {}) },
    );
    const timeout = remaining === undefined ? DEFAULT_TIMEOUT_MS : Math.max(MIN_REQUEST_MS, Math.min(DEFAULT_TIMEOUT_MS, remaining - DEADLINE_MARGIN_MS));
    const agent = secure ? (this.#agents.https ??= new HttpsAgent({ keepAlive: true, maxSockets: 50 })) : (this.#agents.http ??= new HttpAgent({ keepAlive: true, maxSockets: 50 }));
    const send = secure ? httpsRequest : httpRequest;
    return new Promise<AwsResponse>((resolve, reject) => {
      const req = send(
        { protocol: url.protocol, hostname: url.hostname, port: url.port || undefined, path, method: 'POST', headers: signed.headers as Record<string, string>, agent, timeout },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', reject);
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
        },
      );
      req.on('timeout', () => req.destroy(Object.assign(new Error(`no answer within ${timeout} ms`), { code: 'TimeoutError' })));
      req.on('error', reject);
      req.end(request.body);
    });
  }

  /** The environment's credentials (what Lambda sets), else the SDK's default chain, cached until five minutes before they expire. */
  async credentials(): Promise<AwsCredentials> {
    const accessKeyId = this.#env['AWS_ACCESS_KEY_ID']?.trim();
    const secretAccessKey = this.#env['AWS_SECRET_ACCESS_KEY']?.trim();
    if (accessKeyId && secretAccessKey) {
      const sessionToken = this.#env['AWS_SESSION_TOKEN']?.trim();
      return { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) };
    }
    if (this.#cached && (!this.#cached.expiration || this.#cached.expiration.getTime() - Date.now() > 300_000)) return this.#cached;
    this.#chain ??= (this.#options.credentials ?? defaultChain)().finally(() => (this.#chain = undefined));
    this.#cached = await this.#chain;
    return this.#cached;
  }
}

/** The SDK's default credential provider chain, imported only when the environment holds no keys (never in Lambda). */
async function defaultChain(): Promise<AwsCredentials> {
  const { defaultProvider } = await import('@aws-sdk/credential-provider-node');
  return defaultProvider()();
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
