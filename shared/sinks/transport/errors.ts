/**
 * An AWS API call that failed: the service's error code as `name` (as the SDK's exceptions have
 * it, so `error.name === 'ResourceNotFoundException'` reads the same), the HTTP status, request id,
 * who was at fault, and whether another attempt could succeed.
 */
export class AwsApiError extends Error {
  readonly code: string;
  readonly service: string;
  readonly operation: string;
  readonly statusCode: number | undefined;
  readonly requestId: string | undefined;
  readonly fault: 'client' | 'server';
  readonly retryable: boolean;
  readonly throttled: boolean;
  /** Attempts made before giving up. */
  readonly attempts: number;
  /** The SDK's metadata shape, for code that logs `$metadata`. */
  readonly $metadata: { httpStatusCode?: number; requestId?: string; attempts: number };

  constructor(init: {
    code: string;
    message: string;
    service: string;
    operation: string;
    statusCode?: number | undefined;
    requestId?: string | undefined;
    fault: 'client' | 'server';
    retryable: boolean;
    throttled?: boolean;
    attempts?: number;
  }) {
    super(`${init.service} ${init.operation}: ${init.code}${init.message ? `: ${init.message}` : ''}${init.statusCode ? ` (HTTP ${init.statusCode})` : ''}`);
    this.name = init.code;
    this.code = init.code;
    this.service = init.service;
    this.operation = init.operation;
    this.statusCode = init.statusCode;
    this.requestId = init.requestId;
    this.fault = init.fault;
    this.retryable = init.retryable;
    this.throttled = init.throttled ?? false;
    this.attempts = init.attempts ?? 1;
    this.$metadata = { ...(init.statusCode !== undefined ? { httpStatusCode: init.statusCode } : {}), ...(init.requestId ? { requestId: init.requestId } : {}), attempts: this.attempts };
  }
}
