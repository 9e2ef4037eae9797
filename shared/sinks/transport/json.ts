/**
 * The AWS JSON 1.0 / 1.1 protocols (DynamoDB and CloudWatch: 1.0; EventBridge: 1.1): a POST of the
 * operation's input as JSON, the operation named in `X-Amz-Target`; timestamps as epoch seconds,
 * blobs as base64. Errors: `__type` (or the `x-amzn-errortype` header) names the code; a service
 * that is "query compatible" (CloudWatch) also sends its query-protocol code in `x-amzn-query-error`.
 */
import type { AwsHttp, AwsResponse, ErrorParser, ServiceSpec } from './aws-http.ts';

export interface JsonService extends ServiceSpec {
  /** `DynamoDB_20120810`, `AWSEvents`, `GraniteServiceVersion20100801`. */
  targetPrefix: string;
  version: '1.0' | '1.1';
  /** Sends `x-amzn-query-mode: true` and prefers the query-protocol error code (CloudWatch). */
  queryCompatible?: boolean;
}

/** JSON.stringify replacer: Date -> epoch seconds, bytes -> base64 (the holder's value, before toJSON ran). */
function wireValue(this: unknown, key: string, value: unknown): unknown {
  const original = (this as Record<string, unknown>)[key];
  if (original instanceof Date) return original.getTime() / 1000;
  if (original instanceof Uint8Array) return Buffer.from(original.buffer, original.byteOffset, original.byteLength).toString('base64');
  return value;
}

export function jsonBody(input: unknown): string {
  return JSON.stringify(input, wireValue);
}

/** Calls `operation` with `input`; returns the parsed JSON output (`{}` for an empty body). */
export async function callJson<T>(http: AwsHttp, service: JsonService, operation: string, input: unknown): Promise<T> {
  const headers: Record<string, string> = { 'Content-Type': `application/x-amz-json-${service.version}`, 'X-Amz-Target': `${service.targetPrefix}.${operation}` };
  if (service.queryCompatible) headers['x-amzn-query-mode'] = 'true';
  const response = await http.send({ service, operation, headers, body: jsonBody(input) }, jsonError(service));
  if (response.body.trim() === '') return {} as T;
  try {
    return JSON.parse(response.body) as T;
  } catch {
    throw new SyntaxError(`${service.endpointPrefix} ${operation}: the response is not JSON (HTTP ${response.status}, ${response.body.length} bytes)`);
  }
}

/** `com.amazonaws.dynamodb.v20120810#ResourceNotFoundException` or `ValidationException:http://…` -> the bare code. */
export function sanitizeErrorCode(raw: string): string {
  let code = raw;
  if (code.includes(':')) code = code.slice(0, code.indexOf(':'));
  if (code.includes('#')) code = code.slice(code.lastIndexOf('#') + 1);
  return code.trim();
}

export function jsonError(service: Pick<JsonService, 'queryCompatible'>): ErrorParser {
  return (response: AwsResponse) => {
    let body: Record<string, unknown> = {};
    try {
      const parsed: unknown = JSON.parse(response.body);
      if (parsed && typeof parsed === 'object') body = parsed as Record<string, unknown>;
    } catch {
      // Not JSON (a proxy's HTML page, an empty 5xx): the status says enough.
    }
    const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
    const queryError = service.queryCompatible ? str(response.headers['x-amzn-query-error']) : undefined;
    const [queryCode, queryFault] = queryError ? queryError.split(';') : [];
    const raw = queryCode || str(response.headers['x-amzn-errortype']) || str(body['__type']) || str(body['code']) || str(body['Code']) || `Http${response.status}`;
    const message = str(body['message']) ?? str(body['Message']) ?? str(body['errorMessage']) ?? '';
    const fault = queryFault === 'Sender' ? 'client' : queryFault === 'Receiver' ? 'server' : undefined;
    return { code: sanitizeErrorCode(raw), message, ...(fault ? { fault } : {}) };
  };
}
