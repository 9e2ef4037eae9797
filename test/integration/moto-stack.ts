import { randomInt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CloudFormationClient, CreateStackCommand, DescribeStacksCommand, DescribeStackEventsCommand } from '@aws-sdk/client-cloudformation';
import { EventBridgeClient, PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';
import { SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, DeleteMessageBatchCommand, GetQueueAttributesCommand, GetQueueUrlCommand, ReceiveMessageCommand, SendMessageCommand, SQSClient, type Message } from '@aws-sdk/client-sqs';
import { STSClient, AssumeRoleCommand } from '@aws-sdk/client-sts';
import { ROOT } from '../helpers/events.ts';
import { type CfnTemplate, type MotoTemplate, type StandInFunction, motoTemplate } from './moto-template.ts';

/**
 * The moto harness: deploys the packaged stack into its own moto account, stands in for Lambda
 * (drains each function's stand-in queue into the real handler in-process, with Lambda's async
 * retry and on-failure semantics), and reads what reached each queue.
 */

export const REGION = 'us-east-1';
export const PACKAGED_TEMPLATE = join(ROOT, '.serverless', 'cloudformation-template-update-stack.json');

/** Credentials of one moto account: every client (ours and the handlers' own) acts inside it. */
export interface MotoAccount {
  endpoint: string;
  accountId: string;
  credentials: { accessKeyId: string; secretAccessKey: string; sessionToken: string };
}

/** Client configuration for the account (the SDK's own retries stay on, as in Lambda). */
export function clientConfig(account: MotoAccount): { endpoint: string; region: string; credentials: MotoAccount['credentials'] } {
  return { endpoint: account.endpoint, region: REGION, credentials: account.credentials };
}

/**
 * A fresh moto account for one test file: moto ties the credentials STS AssumeRole returns to the
 * account in the role ARN, so files running in parallel against one moto server never share a
 * resource name.
 */
export async function motoAccount(endpoint: string): Promise<MotoAccount> {
  const accountId = String(randomInt(100_000_000_000, 999_999_999_999));
  const sts = new STSClient({ endpoint, region: REGION, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
  const { Credentials: c } = await sts.send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${accountId}:role/trailwatch-integration`, RoleSessionName: 'vitest' }));
  if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken) throw new Error('moto AssumeRole returned no credentials');
  return { endpoint, accountId, credentials: { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken } };
}

/** The SDK environment a Lambda in this account would have, pointed at moto. */
export function sdkEnvironment(account: MotoAccount): Record<string, string> {
  return {
    AWS_ENDPOINT_URL: account.endpoint,
    AWS_REGION: REGION,
    AWS_DEFAULT_REGION: REGION,
    AWS_ACCESS_KEY_ID: account.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: account.credentials.secretAccessKey,
    AWS_SESSION_TOKEN: account.credentials.sessionToken,
  };
}

/** A deployed stand-in function: its resolved environment and its stand-in queue. */
export interface DeployedFunction {
  spec: StandInFunction;
  environment: Record<string, string>;
  queueUrl: string;
  queueArn: string;
  onFailureArn?: string;
}

export interface DeployedStack {
  account: MotoAccount;
  stackName: string;
  transformed: MotoTemplate;
  /** Every stack output, the harness's own included. */
  outputs: Record<string, string>;
  /** Stand-in functions by handler (`functions/detect.handler`). */
  functions: Map<string, DeployedFunction>;
  /** Queue URLs of the subscriptions created after deploy, by subscription logical id. */
  subscriptionEndpoints: Map<string, string>;
  sqs: SQSClient;
  sns: SNSClient;
  eventBridge: EventBridgeClient;
}

/** The stack failed to create in moto (the reason and moto's failed resource events). */
export class StackDeployError extends Error {
  override name = 'StackDeployError';
}

/** Queue URL from a queue ARN (arn:aws:sqs:<region>:<account>:<name>). */
export async function queueUrlOf(sqs: SQSClient, arn: string): Promise<string> {
  const name = arn.split(':').at(-1);
  const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: name }));
  if (!QueueUrl) throw new Error(`no queue for ${arn}`);
  return QueueUrl;
}

/**
 * A queue URL as CloudFormation gives it (`https://sqs.<region>.amazonaws.com/<account>/<name>`,
 * in AWS and in moto alike) becomes the URL moto serves the queue at; other values pass through.
 * Needed because the SDK sends a request to the host of its QueueUrl parameter rather than to the
 * configured endpoint (useQueueUrlAsEndpoint), so the deployed URL would leave this machine.
 */
async function motoQueueUrl(sqs: SQSClient, value: string): Promise<string> {
  const m = /^https:\/\/sqs\.[a-z0-9-]+\.amazonaws\.com\/\d{12}\/([A-Za-z0-9_.-]+)$/.exec(value);
  if (!m) return value;
  const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: m[1] }));
  return QueueUrl ?? value;
}

/** Deploys the packaged template (transformed by moto-template.ts) with CloudFormation CreateStack (stack parameters optional, e.g. Mode=organization). */
export async function deployPackagedStack(account: MotoAccount, templatePath = PACKAGED_TEMPLATE, options: { parameters?: Record<string, string> } = {}): Promise<DeployedStack> {
  const packaged = JSON.parse(readFileSync(templatePath, 'utf8')) as CfnTemplate;
  const transformed = motoTemplate(packaged);
  const config = clientConfig(account);
  const cf = new CloudFormationClient(config);
  const sqs = new SQSClient(config);
  const sns = new SNSClient(config);
  const eventBridge = new EventBridgeClient(config);
  const stackName = 'trailwatch-ci';
  const parameters = Object.entries(options.parameters ?? {}).map(([ParameterKey, ParameterValue]) => ({ ParameterKey, ParameterValue }));
  await cf.send(new CreateStackCommand({ StackName: stackName, TemplateBody: JSON.stringify(transformed.template), Capabilities: ['CAPABILITY_IAM', 'CAPABILITY_NAMED_IAM'], ...(parameters.length > 0 ? { Parameters: parameters } : {}) }));
  // moto creates the resources during CreateStack; wait for the status anyway (AWS semantics).
  let status = '';
  let outputsList: Array<{ OutputKey?: string; OutputValue?: string }> = [];
  for (let attempt = 0; attempt < 600; attempt++) {
    const { Stacks } = await cf.send(new DescribeStacksCommand({ StackName: stackName }));
    status = Stacks?.[0]?.StackStatus ?? '';
    outputsList = Stacks?.[0]?.Outputs ?? [];
    if (!status.endsWith('_IN_PROGRESS')) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  if (status !== 'CREATE_COMPLETE') {
    const { StackEvents } = await cf.send(new DescribeStackEventsCommand({ StackName: stackName }));
    const failed = (StackEvents ?? []).filter((e) => e.ResourceStatus?.includes('FAILED')).map((e) => `${e.LogicalResourceId}: ${e.ResourceStatusReason}`);
    throw new StackDeployError(`stack ${stackName} is ${status}: ${failed.join('; ')}`);
  }
  const outputs = Object.fromEntries(outputsList.map((o) => [o.OutputKey ?? '', o.OutputValue ?? '']));
  const resolve = (key: string): string => {
    if (key.startsWith('literal:')) return key.slice('literal:'.length);
    const value = outputs[key];
    if (value === undefined) throw new StackDeployError(`stack output ${key} is missing`);
    return value;
  };

  const functions = new Map<string, DeployedFunction>();
  for (const spec of transformed.functions) {
    const queueArn = resolve(spec.queueArnOutput);
    const onFailure = spec.asyncInvoke?.onFailureArnOutput;
    const environment: Record<string, string> = {};
    for (const [k, v] of Object.entries(spec.environmentOutputs)) environment[k] = await motoQueueUrl(sqs, resolve(v));
    functions.set(spec.handler, {
      spec,
      environment,
      queueArn,
      queueUrl: await queueUrlOf(sqs, queueArn),
      ...(onFailure ? { onFailureArn: resolve(onFailure) } : {}),
    });
  }

  const subscriptionEndpoints = new Map<string, string>();
  for (const s of transformed.subscriptions) {
    const attributes = { ...s.attributes };
    const dlq = s.attributeOutputs['RedrivePolicy.deadLetterTargetArn'];
    if (dlq) attributes['RedrivePolicy'] = JSON.stringify({ deadLetterTargetArn: resolve(dlq) });
    const endpoint = resolve(s.endpointArnOutput);
    await sns.send(new SubscribeCommand({ TopicArn: resolve(s.topicArnOutput), Protocol: s.protocol, Endpoint: endpoint, Attributes: attributes, ReturnSubscriptionArn: true }));
    subscriptionEndpoints.set(s.logicalId, await queueUrlOf(sqs, endpoint));
  }
  return { account, stackName, transformed, outputs, functions, subscriptionEndpoints, sqs, sns, eventBridge };
}

/** Creates an SQS queue the test reads (an observer, not part of the stack). Returns url and arn. */
export async function observerQueue(sqs: SQSClient, name: string): Promise<{ url: string; arn: string }> {
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name }));
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
  if (!QueueUrl || !Attributes?.['QueueArn']) throw new Error(`observer queue ${name} not created`);
  return { url: QueueUrl, arn: Attributes['QueueArn'] };
}

/** An observer queue receiving every event on `busName` that matches `pattern`. */
export async function tapBus(stack: DeployedStack, busName: string, name: string, pattern: unknown): Promise<{ url: string; arn: string }> {
  const queue = await observerQueue(stack.sqs, name);
  await stack.eventBridge.send(new PutRuleCommand({ Name: name, EventBusName: busName, EventPattern: JSON.stringify(pattern), State: 'ENABLED' }));
  await stack.eventBridge.send(new PutTargetsCommand({ Rule: name, EventBusName: busName, Targets: [{ Id: 'observer', Arn: queue.arn }] }));
  return queue;
}

/** Every message in the queue now, each received once and deleted (moto delivers synchronously). */
export async function drain(sqs: SQSClient, queueUrl: string, { keep = false } = {}): Promise<Message[]> {
  const all: Message[] = [];
  for (;;) {
    const { Messages } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0, AttributeNames: ['All'], MessageAttributeNames: ['All'], VisibilityTimeout: keep ? 0 : 300 }));
    if (!Messages || Messages.length === 0) return all;
    all.push(...Messages);
    if (keep) return all;
    await sqs.send(new DeleteMessageBatchCommand({ QueueUrl: queueUrl, Entries: Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle ?? '' })) }));
  }
}

/** Number of messages visible in a queue (plus those received and not yet deleted, with `inFlight`). */
export async function depth(sqs: SQSClient, queueUrl: string, { inFlight = false } = {}): Promise<number> {
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }));
  return Number(Attributes?.['ApproximateNumberOfMessages'] ?? 0) + (inFlight ? Number(Attributes?.['ApproximateNumberOfMessagesNotVisible'] ?? 0) : 0);
}

/**
 * Runs `work` with process.env set as the function's Lambda environment (its resolved template
 * variables plus the SDK environment pointing at moto), then restores it. Handlers read their
 * configuration from the environment at their cold start, exactly as in Lambda.
 */
export async function withFunctionEnvironment<T>(stack: DeployedStack, fn: DeployedFunction, work: () => Promise<T>): Promise<T> {
  const saved = { ...process.env };
  // The log level is the one value not taken from the template: DEBUG (the ci stage) would bury the
  // test report; TRAILWATCH_TEST_LOG_LEVEL=DEBUG brings it back.
  const logLevel = process.env['TRAILWATCH_TEST_LOG_LEVEL'] ?? 'ERROR';
  Object.assign(process.env, fn.environment, sdkEnvironment(stack.account), { AWS_LAMBDA_FUNCTION_NAME: fn.spec.functionName, POWERTOOLS_LOG_LEVEL: logLevel });
  try {
    return await work();
  } finally {
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
    Object.assign(process.env, saved);
  }
}

/**
 * Lambda's asynchronous invocation (how EventBridge and SNS call a function): the handler runs; a
 * thrown error is retried `maximumRetryAttempts` times (from the function's EventInvokeConfig);
 * then the documented on-failure record goes to the real on-failure SQS destination. Call it inside
 * `withFunctionEnvironment` for the function.
 */
export async function invokeAsync(stack: DeployedStack, fn: DeployedFunction, handler: (event: unknown) => Promise<unknown>, event: unknown): Promise<{ ok: boolean; attempts: number; error?: string }> {
  const retries = fn.spec.asyncInvoke?.maximumRetryAttempts ?? 2;
  let lastError: Error | undefined;
  for (let attempt = 1; attempt <= retries + 1; attempt++) {
    try {
      await handler(event);
      return { ok: true, attempts: attempt };
    } catch (error) {
      lastError = error as Error;
    }
  }
  if (fn.onFailureArn) {
    const record = {
      version: '1.0',
      timestamp: new Date().toISOString(),
      requestContext: { requestId: `harness-${Date.now()}`, functionArn: `arn:aws:lambda:${REGION}:${stack.account.accountId}:function:${fn.spec.functionName}`, condition: 'RetriesExhausted', approximateInvokeCount: retries + 1 },
      requestPayload: event,
      responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
      responsePayload: { errorType: lastError?.name ?? 'Error', errorMessage: lastError?.message ?? '' },
    };
    await stack.sqs.send(new SendMessageCommand({ QueueUrl: await queueUrlOf(stack.sqs, fn.onFailureArn), MessageBody: JSON.stringify(record) }));
  }
  return { ok: false, attempts: retries + 1, error: lastError?.message ?? '' };
}

/** Runs `work` on every item with at most `limit` at a time (Lambda runs invocations concurrently too). */
export async function eachLimited<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await work(items[next++] as T);
  });
  await Promise.all(lanes);
}

/** The SNS event Lambda would get for one SNS→SQS envelope (the stand-in queue of a lambda subscription). */
export function snsEventFromEnvelope(body: string): { Records: Array<{ EventSource: string; EventVersion: string; EventSubscriptionArn: string; Sns: Record<string, unknown> }> } {
  const sns = JSON.parse(body) as Record<string, unknown>;
  return { Records: [{ EventSource: 'aws:sns', EventVersion: '1.0', EventSubscriptionArn: '', Sns: sns }] };
}
