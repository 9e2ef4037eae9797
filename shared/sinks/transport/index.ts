/**
 * The alerting path's AWS calls without the SDK: one signed-HTTP transport and the four services'
 * clients on it. `alertingClients()` is what a deployed handler creates once per environment.
 */
import { AwsHttp, type AwsHttpOptions } from './aws-http.ts';
import { CloudWatchHttpClient } from './cloudwatch.ts';
import { DynamoDbHttpClient } from './dynamodb.ts';
import { EventBridgeHttpClient } from './eventbridge.ts';
import { SnsHttpClient } from './sns.ts';

export { AwsHttp, type AwsHttpOptions } from './aws-http.ts';
export { AwsApiError } from './errors.ts';
export * from './apis.ts';
export { CloudWatchHttpClient, DynamoDbHttpClient, EventBridgeHttpClient, SnsHttpClient };

export interface AlertingClients {
  http: AwsHttp;
  sns: SnsHttpClient;
  eventBridge: EventBridgeHttpClient;
  cloudWatch: CloudWatchHttpClient;
  dynamo: DynamoDbHttpClient;
}

export function alertingClients(options: AwsHttpOptions = {}): AlertingClients {
  const http = new AwsHttp(options);
  return { http, sns: new SnsHttpClient(http), eventBridge: new EventBridgeHttpClient(http), cloudWatch: new CloudWatchHttpClient(http), dynamo: new DynamoDbHttpClient(http) };
}
