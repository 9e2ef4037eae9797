/**
 * The seam between the sinks (and the novelty and directory stores) and AWS: each needs one or two
 * operations, named here. Two implementations satisfy them:
 *  - the signed-HTTP clients beside this file (`*HttpClient`), which the deployed handlers use,
 *    so a cold start loads no AWS SDK client (docs/architecture.md "Bundling");
 *  - any AWS SDK v3 client (`SNSClient`, …): `snsApi(client)` and its siblings wrap its `send`,
 *    importing the command class only when the first call is made (a chunk a cold start never
 *    reads). Tests and tools that already hold SDK clients (aws-sdk-client-mock) pass those.
 * Input and output types are the SDK's own (type-only imports: nothing of the SDK is bundled for them).
 */
import type { CloudWatchClient, PutMetricDataInput } from '@aws-sdk/client-cloudwatch';
import type { DynamoDBClient, GetItemInput, GetItemOutput, PutItemInput, PutItemOutput, UpdateItemInput, UpdateItemOutput } from '@aws-sdk/client-dynamodb';
import type { EventBridgeClient, PutEventsRequest, PutEventsResponse } from '@aws-sdk/client-eventbridge';
import type { PublishBatchInput, PublishBatchResponse, SNSClient } from '@aws-sdk/client-sns';

export interface SnsApi {
  publishBatch(input: PublishBatchInput): Promise<PublishBatchResponse>;
}
export interface EventBridgeApi {
  putEvents(input: PutEventsRequest): Promise<PutEventsResponse>;
}
export interface CloudWatchApi {
  putMetricData(input: PutMetricDataInput): Promise<unknown>;
}
export interface DynamoItemApi {
  updateItem(input: UpdateItemInput): Promise<UpdateItemOutput>;
  getItem(input: GetItemInput): Promise<GetItemOutput>;
  putItem(input: PutItemInput): Promise<PutItemOutput>;
}

export type SnsLike = SnsApi | Pick<SNSClient, 'send'>;
export type EventBridgeLike = EventBridgeApi | Pick<EventBridgeClient, 'send'>;
export type CloudWatchLike = CloudWatchApi | Pick<CloudWatchClient, 'send'>;
export type DynamoLike = DynamoItemApi | Pick<DynamoDBClient, 'send'>;

const isSdk = <T extends object>(client: T | { send: unknown }): client is { send: unknown } => typeof (client as { send?: unknown }).send === 'function';

export function snsApi(client: SnsLike): SnsApi {
  if (!isSdk(client)) return client;
  const sdk = client as Pick<SNSClient, 'send'>;
  return {
    publishBatch: async (input) => {
      const { PublishBatchCommand } = await import('@aws-sdk/client-sns');
      return sdk.send(new PublishBatchCommand(input));
    },
  };
}

export function eventBridgeApi(client: EventBridgeLike): EventBridgeApi {
  if (!isSdk(client)) return client;
  const sdk = client as Pick<EventBridgeClient, 'send'>;
  return {
    putEvents: async (input) => {
      const { PutEventsCommand } = await import('@aws-sdk/client-eventbridge');
      return sdk.send(new PutEventsCommand(input));
    },
  };
}

export function cloudWatchApi(client: CloudWatchLike): CloudWatchApi {
  if (!isSdk(client)) return client;
  const sdk = client as Pick<CloudWatchClient, 'send'>;
  return {
    putMetricData: async (input) => {
      const { PutMetricDataCommand } = await import('@aws-sdk/client-cloudwatch');
      return sdk.send(new PutMetricDataCommand(input));
    },
  };
}

export function dynamoApi(client: DynamoLike): DynamoItemApi {
  if (!isSdk(client)) return client;
  const sdk = client as Pick<DynamoDBClient, 'send'>;
  const commands = () => import('@aws-sdk/client-dynamodb');
  return {
    updateItem: async (input) => sdk.send(new (await commands()).UpdateItemCommand(input)),
    getItem: async (input) => sdk.send(new (await commands()).GetItemCommand(input)),
    putItem: async (input) => sdk.send(new (await commands()).PutItemCommand(input)),
  };
}
