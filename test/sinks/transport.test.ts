/**
 * The signed-HTTP transport (shared/sinks/transport) against other people's work:
 *  - the AWS SDK's own clients send the same operations to the same capture server, and the two
 *    requests must carry the same operation, content type and decoded body;
 *  - the SDK's SigV4 signer (@smithy/signature-v4), given the headers we signed and our date,
 *    must compute the same signature;
 *  - dynalite (a real DynamoDB API) serves the novelty and directory stores through it;
 *  - error bodies in each protocol, retries, the deadline, endpoints and credentials.
 */
import { createHash, createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SNSClient } from '@aws-sdk/client-sns';
import { SignatureV4 } from '@smithy/signature-v4';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Finding } from '../../shared/model/types.ts';
import { DynamoNoveltyStore } from '../../shared/novelty/dynamodb-store.ts';
import { OrganizationDirectory } from '../../shared/organization/directory.ts';
import { DynamoDirectoryStore } from '../../shared/organization/store.ts';
import { CloudWatchMetricsSink } from '../../shared/sinks/cloudwatch.ts';
import { EventBridgeSink } from '../../shared/sinks/eventbridge.ts';
import { SnsSink } from '../../shared/sinks/sns.ts';
import { AwsApiError, AwsHttp, alertingClients } from '../../shared/sinks/transport/index.ts';
import { SNS_SERVICE, parsePublishBatch } from '../../shared/sinks/transport/sns.ts';
import { startDynalite, type LocalDynamo } from '../helpers/dynalite.ts';

interface Captured {
  headers: IncomingHttpHeaders;
  body: string;
  url: string;
}
type Reply = { status: number; headers?: Record<string, string>; body: string } | 'hang-up';

/** A local server that records each request and answers with the next queued reply, or a success in the request's protocol. */
async function captureServer(): Promise<{ url: string; requests: Captured[]; replies: Reply[]; close: () => Promise<void> }> {
  const requests: Captured[] = [];
  const replies: Reply[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      requests.push({ headers: req.headers, body, url: req.url ?? '' });
      const reply = replies.shift();
      if (reply === 'hang-up') return void req.socket.destroy();
      if (reply) {
        res.writeHead(reply.status, reply.headers ?? {});
        return void res.end(reply.body);
      }
      const target = String(req.headers['x-amz-target'] ?? '');
      if (target === 'AWSEvents.PutEvents') {
        const n = (JSON.parse(body) as { Entries: unknown[] }).Entries.length;
        res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
        return void res.end(JSON.stringify({ FailedEntryCount: 0, Entries: Array.from({ length: n }, (_, i) => ({ EventId: `ev-${i}` })) }));
      }
      if (target) {
        res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' });
        return void res.end('{}');
      }
      const form = new URLSearchParams(body);
      const ids = [...form.keys()].filter((k) => /^PublishBatchRequestEntries\.member\.\d+\.Id$/.test(k)).map((k) => form.get(k) ?? '');
      res.writeHead(200, { 'content-type': 'text/xml' });
      res.end(`<PublishBatchResponse><PublishBatchResult><Successful>${ids.map((id) => `<member><Id>${id}</Id><MessageId>m-${id}</MessageId></member>`).join('')}</Successful><Failed/></PublishBatchResult></PublishBatchResponse>`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, requests, replies, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

const CREDS = { accessKeyId: 'AKIDTRANSPORTTEST', secretAccessKey: 'transport-secret', sessionToken: 'session/token+with=odd chars' };
const envFor = (url: string, extra: Record<string, string> = {}) => ({
  AWS_REGION: 'eu-west-1',
  AWS_ACCESS_KEY_ID: CREDS.accessKeyId,
  AWS_SECRET_ACCESS_KEY: CREDS.secretAccessKey,
  AWS_SESSION_TOKEN: CREDS.sessionToken,
  AWS_ENDPOINT_URL: url,
  ...extra,
});
const sdkConfig = (url: string) => ({ endpoint: url, region: 'eu-west-1', credentials: CREDS, maxAttempts: 1 });

/** A finding whose text is attacker-shaped: quotes, ampersands, angle brackets, non-ASCII, `+` and `=`. */
function hostileFinding(i: number): Finding {
  return {
    detection: 'policy-changed',
    severity: 'critical',
    title: `"bob" & <script>alert(${i})</script> attached a policy — ünïcødé + a=b&c=d`,
    eventId: `evt-${i}`,
    eventName: 'PutUserPolicy',
    eventSource: 'iam.amazonaws.com',
    time: '2026-11-20T09:00:00.000Z',
    account: '111122223333',
    region: 'us-east-1',
    principal: { type: 'IAMUser', name: 'bob', arn: 'arn:aws:iam::111122223333:user/bob' },
    userAgent: "curl/8.5.0 (it's) *!()",
    details: { policy: '{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}', emoji: '🔥', newline: 'a\nb\r\nc\u0000d' },
  };
}

/** What an operation's request means, protocol aside: the target and the decoded body. */
function decoded(r: Captured): { target: string; contentType: string; body: unknown; queryMode: string | undefined } {
  const contentType = String(r.headers['content-type'] ?? '').split(';')[0] as string;
  const target = String(r.headers['x-amz-target'] ?? '');
  const body = contentType === 'application/x-www-form-urlencoded' ? [...new URLSearchParams(r.body)].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)) : JSON.parse(r.body);
  return { target, contentType, body, queryMode: r.headers['x-amzn-query-mode'] as string | undefined };
}

let server: Awaited<ReturnType<typeof captureServer>>;
beforeAll(async () => {
  server = await captureServer();
});
afterAll(async () => server.close());
beforeEach(() => {
  server.requests.length = 0;
  server.replies.length = 0;
});

describe('the same requests as the AWS SDK', () => {
  const findings = [hostileFinding(1), hostileFinding(2), hostileFinding(3)];

  it('SNS PublishBatch (query protocol): the same form fields, values decoded alike', async () => {
    await new SnsSink(new SNSClient(sdkConfig(server.url)), 'arn:aws:sns:eu-west-1:111122223333:alerts').publish(findings);
    const sdk = server.requests.splice(0).map(decoded);
    await new SnsSink(alertingClients({ env: envFor(server.url) }).sns, 'arn:aws:sns:eu-west-1:111122223333:alerts').publish(findings);
    const ours = server.requests.splice(0).map(decoded);
    expect(sdk).toHaveLength(1);
    expect(ours).toEqual(sdk);
    // The attacker text arrives intact (it is data, and the body is form-encoded, not spliced).
    const form = new Map(ours[0]!.body as Array<[string, string]>);
    expect(JSON.parse(JSON.parse(form.get('PublishBatchRequestEntries.member.1.Message')!).lambda).title).toBe(findings[0]!.title);
  });

  it('EventBridge PutEvents (JSON 1.1) and CloudWatch PutMetricData (JSON 1.0, query compatible): the same target and JSON', async () => {
    await new EventBridgeSink(new EventBridgeClient(sdkConfig(server.url)), 'trailwatch-findings').publish(findings);
    const counts = { eventsProcessed: 3, eventsSkipped: 1, skipReasons: {}, findings: [{ detection: 'policy-changed', severity: 'critical' as const, count: 3 }], routes: { page: 3 } };
    const at = new Date('2026-11-20T09:00:01.250Z');
    await new CloudWatchMetricsSink(new CloudWatchClient(sdkConfig(server.url)), 'Trailwatch', undefined, () => at).flush(counts);
    const sdk = server.requests.splice(0).map(decoded);
    const aws = alertingClients({ env: envFor(server.url) });
    await new EventBridgeSink(aws.eventBridge, 'trailwatch-findings').publish(findings);
    await new CloudWatchMetricsSink(aws.cloudWatch, 'Trailwatch', undefined, () => at).flush(counts);
    const ours = server.requests.splice(0).map(decoded);
    expect(sdk.map((r) => r.target)).toEqual(['AWSEvents.PutEvents', 'GraniteServiceVersion20100801.PutMetricData']);
    expect(ours).toEqual(sdk);
    expect(ours[1]!.queryMode).toBe('true');
    // Timestamps as epoch seconds, as the JSON protocols want.
    expect((ours[1]!.body as { MetricData: Array<{ Timestamp: number }> }).MetricData[0]!.Timestamp).toBe(at.getTime() / 1000);
  });

  it('DynamoDB UpdateItem (JSON 1.0): the novelty store sends what the SDK sends', async () => {
    const input = {
      TableName: 'novelty',
      Key: { pk: { S: 'role/x|policy' } },
      UpdateExpression: 'SET #v0 = if_not_exists(#v0, :t) ADD cnt :one',
      ExpressionAttributeNames: { '#v0': 'n:203.0.113.0/24' },
      ExpressionAttributeValues: { ':t': { N: '1790000000000' }, ':one': { N: '1' }, ':b': { B: Buffer.from([0, 1, 2, 250]) }, ':ss': { SS: ['a', 'b'] } },
      ReturnValues: 'ALL_OLD' as const,
    };
    await new DynamoDBClient(sdkConfig(server.url)).send(new UpdateItemCommand(input));
    await alertingClients({ env: envFor(server.url) }).dynamo.updateItem(input);
    const [sdk, ours] = server.requests.splice(0).map(decoded);
    expect(ours).toEqual(sdk);
    expect((ours!.body as { ExpressionAttributeValues: Record<string, { B?: string }> }).ExpressionAttributeValues[':b']!.B).toBe('AAEC+g==');
  });
});

/** The SDK's checksum interface over node:crypto (SHA-256, HMAC when given a secret). */
class NodeSha256 {
  readonly #hash: ReturnType<typeof createHash> | ReturnType<typeof createHmac>;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    const key = secret === undefined || typeof secret === 'string' ? secret : ArrayBuffer.isView(secret) ? new Uint8Array(secret.buffer, secret.byteOffset, secret.byteLength) : new Uint8Array(secret);
    this.#hash = key === undefined ? createHash('sha256') : createHmac('sha256', key);
  }
  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.#hash.update(typeof data === 'string' ? data : ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : new Uint8Array(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.#hash.digest());
  }
  reset(): void {}
}

describe('SigV4 (aws4) agrees with the SDK signer', () => {
  it('the SDK computes our signature from the headers we signed, at our date', async () => {
    const aws = alertingClients({ env: envFor(`${server.url}/`) });
    await new SnsSink(aws.sns, 'arn:aws:sns:eu-west-1:111122223333:alerts').publish([hostileFinding(7)]);
    await aws.dynamo.updateItem({ TableName: 't', Key: { pk: { S: 'k' } }, UpdateExpression: 'ADD cnt :one', ExpressionAttributeValues: { ':one': { N: '1' } } });
    expect(server.requests).toHaveLength(2);
    for (const [i, r] of server.requests.entries()) {
      const auth = String(r.headers['authorization']);
      const m = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$/.exec(auth);
      expect(m, auth).not.toBeNull();
      const [, key, , region, service, signedHeaders, signature] = m as unknown as string[];
      expect([key, region, service]).toEqual([CREDS.accessKeyId, 'eu-west-1', i === 0 ? 'sns' : 'dynamodb']);
      expect(r.headers['x-amz-security-token']).toBe(CREDS.sessionToken);
      const names = signedHeaders!.split(';');
      expect(names).toEqual(expect.arrayContaining(['host', 'x-amz-date', 'content-type', 'x-amz-security-token']));
      const headers = Object.fromEntries(names.map((n) => [n, String(r.headers[n])]));
      const date = String(r.headers['x-amz-date']);
      const signingDate = new Date(`${date.slice(0, 4)}-${date.slice(4, 6)}-${date.slice(6, 8)}T${date.slice(9, 11)}:${date.slice(11, 13)}:${date.slice(13, 15)}Z`);
      const signer = new SignatureV4({ service: service!, region: region!, credentials: CREDS, sha256: NodeSha256, applyChecksum: false });
      const expected = await signer.sign(
        { method: 'POST', protocol: 'http:', hostname: '127.0.0.1', path: r.url, headers, body: r.body, query: {} },
        { signingDate, unsignableHeaders: new Set(), signableHeaders: new Set(names) },
      );
      expect(String(expected.headers['authorization'])).toContain(`Signature=${signature}`);
    }
  });
});

describe('errors, retries and the deadline', () => {
  const sns = (extra: Record<string, string> = {}, options: ConstructorParameters<typeof AwsHttp>[0] = {}) => {
    const sleeps: number[] = [];
    const http = new AwsHttp({ env: envFor(server.url, extra), random: () => 0.5, sleep: async (ms) => void sleeps.push(ms), ...options });
    const client = {
      publish: (entries: number) =>
        http.send({ service: SNS_SERVICE, operation: 'PublishBatch', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: `Action=PublishBatch&n=${entries}` }, (r) => ({ code: /<Code>(.*)<\/Code>/.exec(r.body)?.[1] ?? `Http${r.status}`, message: '' })),
    };
    return { sleeps, client };
  };

  it('an SNS sender fault is thrown at once, with the code, status and request id, and never retried', async () => {
    server.replies.push({ status: 404, headers: { 'x-amzn-requestid': 'req-404' }, body: '<ErrorResponse><Error><Type>Sender</Type><Code>NotFound</Code><Message>Topic does not exist &amp; never did</Message></Error><RequestId>req-404</RequestId></ErrorResponse>' });
    const error = await new SnsSink(alertingClients({ env: envFor(server.url) }).sns, 'arn:aws:sns:eu-west-1:111122223333:gone').publish([hostileFinding(1)]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AwsApiError);
    expect(error).toMatchObject({ name: 'NotFound', code: 'NotFound', statusCode: 404, requestId: 'req-404', fault: 'client', retryable: false, attempts: 1 });
    expect((error as Error).message).toContain('Topic does not exist & never did');
    expect(server.requests).toHaveLength(1);
  });

  it('JSON error codes are read from __type (prefix and suffix stripped), and CloudWatch prefers its query code', async () => {
    const aws = alertingClients({ env: envFor(server.url) });
    server.replies.push({ status: 400, body: JSON.stringify({ __type: 'com.amazonaws.dynamodb.v20120810#ResourceNotFoundException', message: 'Requested resource not found' }) });
    await expect(aws.dynamo.updateItem({ TableName: 'missing', Key: { pk: { S: 'k' } } })).rejects.toMatchObject({ name: 'ResourceNotFoundException', fault: 'client', retryable: false });
    server.replies.push({ status: 400, headers: { 'x-amzn-query-error': 'InvalidParameterValue;Sender' }, body: JSON.stringify({ __type: 'com.amazonaws.cloudwatch#InvalidParameterValueException', message: 'bad namespace' }) });
    await expect(aws.cloudWatch.putMetricData({ Namespace: 'AWS/x', MetricData: [] })).rejects.toMatchObject({ name: 'InvalidParameterValue', message: expect.stringContaining('bad namespace') });
    server.replies.push({ status: 400, headers: { 'x-amzn-errortype': 'ValidationException:http://internal.amazon.com/coral/' }, body: '{"message":"1 validation error"}' });
    await expect(aws.eventBridge.putEvents({ Entries: [] })).rejects.toMatchObject({ name: 'ValidationException' });
  });

  it('throttling and 5xx are retried with jittered backoff until an attempt succeeds', async () => {
    const { client, sleeps } = sns({}, { maxAttempts: 4 });
    server.replies.push({ status: 400, body: '<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code></Error></ErrorResponse>' }, { status: 503, body: 'busy' }, 'hang-up');
    const out = await client.publish(1);
    expect(out.status).toBe(200);
    expect(server.requests).toHaveLength(4);
    // Full jitter with random() = 0.5: throttled 500 ms base, then 100 ms base doubling.
    expect(sleeps).toEqual([250, 100, 200]);
  });

  it('gives up after AWS_MAX_ATTEMPTS, reporting the last error and the attempts made', async () => {
    const { client } = sns({ AWS_MAX_ATTEMPTS: '2' });
    server.replies.push({ status: 500, body: '<ErrorResponse><Error><Type>Receiver</Type><Code>InternalError</Code></Error></ErrorResponse>' }, { status: 500, body: '<ErrorResponse><Error><Type>Receiver</Type><Code>InternalError</Code></Error></ErrorResponse>' });
    await expect(client.publish(1)).rejects.toMatchObject({ name: 'InternalError', attempts: 2, fault: 'server', retryable: true });
    expect(server.requests).toHaveLength(2);
  });

  it('does not retry when the backoff would not fit in the time the invocation has left', async () => {
    const { client, sleeps } = sns({}, { maxAttempts: 5, remainingMs: () => 600 });
    server.replies.push({ status: 503, body: '' });
    await expect(client.publish(1)).rejects.toMatchObject({ statusCode: 503, attempts: 1 });
    expect(sleeps).toEqual([]);
    expect(server.requests).toHaveLength(1);
  });

  it('a request that gets no answer fails with TimeoutError within the deadline', async () => {
    const silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
    try {
      const http = new AwsHttp({ env: envFor(url), maxAttempts: 1, remainingMs: () => 800 });
      await expect(http.send({ service: SNS_SERVICE, operation: 'PublishBatch', headers: {}, body: '' }, () => ({ code: 'x', message: '' }))).rejects.toMatchObject({ name: 'TimeoutError', retryable: true });
    } finally {
      silent.closeAllConnections();
      silent.close();
    }
  });
});

describe('responses, endpoints and credentials', () => {
  it('PublishBatch results: failed entries with their code, decoded message and sender fault', () => {
    const out = parsePublishBatch(
      '<PublishBatchResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishBatchResult><Successful><member><Id>0</Id><MessageId>m0</MessageId></member></Successful><Failed><member><Id>1</Id><Code>InvalidParameter</Code><Message>Message too long: &lt;262145&gt; &#x263A;</Message><SenderFault>true</SenderFault></member><member><Id>2</Id><Code>InternalError</Code><SenderFault>false</SenderFault></member></Failed></PublishBatchResult></PublishBatchResponse>',
    );
    expect(out.Successful).toEqual([{ Id: '0', MessageId: 'm0' }]);
    expect(out.Failed).toEqual([
      { Id: '1', Code: 'InvalidParameter', Message: 'Message too long: <262145> ☺', SenderFault: true },
      { Id: '2', Code: 'InternalError', Message: undefined, SenderFault: false },
    ]);
  });

  it('the SNS sink retries a failed entry that was not the sender’s fault, through the HTTP client', async () => {
    const failedOnce = '<PublishBatchResponse><PublishBatchResult><Successful/><Failed><member><Id>0</Id><Code>InternalError</Code><SenderFault>false</SenderFault></member></Failed></PublishBatchResult></PublishBatchResponse>';
    server.replies.push({ status: 200, body: failedOnce });
    await new SnsSink(alertingClients({ env: envFor(server.url) }).sns, 'arn:t').publish([hostileFinding(1)]);
    expect(server.requests).toHaveLength(2);
  });

  it('endpoints: per service, then AWS_ENDPOINT_URL, else the regional host (China partition too); the override can be ignored', () => {
    const base = { AWS_REGION: 'eu-west-1' };
    expect(new AwsHttp({ env: { ...base, AWS_ENDPOINT_URL: 'http://a:1', AWS_ENDPOINT_URL_SNS: 'http://sns:2' } }).endpoint(SNS_SERVICE).href).toBe('http://sns:2/');
    expect(new AwsHttp({ env: { ...base, AWS_ENDPOINT_URL: 'http://a:1' } }).endpoint(SNS_SERVICE).href).toBe('http://a:1/');
    expect(new AwsHttp({ env: base }).endpoint(SNS_SERVICE).href).toBe('https://sns.eu-west-1.amazonaws.com/');
    expect(new AwsHttp({ env: { AWS_REGION: 'cn-north-1' } }).endpoint(SNS_SERVICE).href).toBe('https://sns.cn-north-1.amazonaws.com.cn/');
    expect(new AwsHttp({ env: { ...base, AWS_ENDPOINT_URL: 'http://a:1', AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: 'true' } }).endpoint(SNS_SERVICE).host).toBe('sns.eu-west-1.amazonaws.com');
    expect(() => new AwsHttp({ env: {} }).endpoint(SNS_SERVICE)).toThrow(/AWS_REGION/);
  });

  it('credentials: the environment first; without keys the chain is asked once and cached', async () => {
    let asked = 0;
    const http = new AwsHttp({ env: { AWS_REGION: 'eu-west-1', AWS_ENDPOINT_URL: server.url }, credentials: async () => (asked++, { accessKeyId: 'AKIDCHAIN', secretAccessKey: 's', expiration: new Date(Date.now() + 3_600_000) }) });
    const { SnsHttpClient } = await import('../../shared/sinks/transport/sns.ts');
    await new SnsHttpClient(http).publishBatch({ TopicArn: 'arn:t', PublishBatchRequestEntries: [{ Id: '0', Message: 'm' }] });
    await new SnsHttpClient(http).publishBatch({ TopicArn: 'arn:t', PublishBatchRequestEntries: [{ Id: '0', Message: 'm' }] });
    expect(asked).toBe(1);
    expect(server.requests.map((r) => String(r.headers['authorization']).includes('Credential=AKIDCHAIN/'))).toEqual([true, true]);
    expect(server.requests[0]!.headers['x-amz-security-token']).toBeUndefined();
  });
});

describe('DynamoDB stores through the HTTP client, on dynalite', () => {
  let db: LocalDynamo;
  beforeAll(async () => {
    db = await startDynalite();
    await db.createTable('novelty-http');
    await db.createTable('directory-http');
  });
  afterAll(async () => db?.stop());

  const change = (ip: string, id: string, hour: number) => ({ key: 'role/deployer|policy', timeMs: Date.UTC(2026, 10, 20, hour), network: ip, agent: 'aws-cli/2', region: 'eu-west-1', eventId: id });

  it('the novelty store learns and answers the same through the HTTP client as through the SDK', async () => {
    const http = alertingClients({ env: envFor(db.endpoint) }).dynamo;
    const viaHttp = new DynamoNoveltyStore(http, 'novelty-http');
    const viaSdk = new DynamoNoveltyStore(db.client, 'novelty-http');
    expect(await viaHttp.observe(change('203.0.113.0/24', 'e1', 1))).toBeUndefined();
    const seenBySdk = await viaSdk.observe(change('198.51.100.0/24', 'e2', 2));
    expect(seenBySdk?.networks.get('203.0.113.0/24')).toBe(Date.UTC(2026, 10, 20, 1));
    await viaHttp.markNovel('role/deployer|policy', 'e2');
    const seenByHttp = await viaHttp.observe(change('203.0.113.0/24', 'e3', 3));
    expect(seenByHttp).toMatchObject({ count: 2, novelEvents: new Set(['e2']) });
    expect([...seenByHttp!.networks.keys()].sort()).toEqual(['198.51.100.0/24', '203.0.113.0/24']);
  });

  it('the directory item (a gzipped binary attribute) round-trips through the HTTP client and reads back through the SDK', async () => {
    const http = alertingClients({ env: envFor(db.endpoint) }).dynamo;
    const snapshot = { organizationId: 'o-abcd123456', managementAccountId: '111111111111', accounts: [{ id: '222233334444', name: 'prod <"&">', status: 'ACTIVE', email: 'a@example.com', ouPath: [{ id: 'r-ab12', name: 'Root' }] }], readAt: '2026-12-02T00:00:00.000Z', source: 'organizations' as const };
    await new DynamoDirectoryStore(http, 'directory-http').put(snapshot);
    expect(await new DynamoDirectoryStore(db.client, 'directory-http').get()).toEqual(snapshot);
    expect(await new DynamoDirectoryStore(http, 'directory-http').get()).toEqual(snapshot);
    expect(OrganizationDirectory.fromSnapshot((await new DynamoDirectoryStore(http, 'directory-http').get())!).nameOf('222233334444')).toBe('prod <"&">');
  });
});

describe('SDK clients still plug into the same seam', () => {
  it('an SDK client passed to a sink goes through its own send', async () => {
    await new SnsSink(new SNSClient(sdkConfig(server.url)), 'arn:t').publish([hostileFinding(1)]);
    expect(server.requests[0]!.headers['user-agent']).toMatch(/aws-sdk-js/);
    expect(decoded(server.requests[0]!).body).toContainEqual(['Action', 'PublishBatch']);
  });
});
