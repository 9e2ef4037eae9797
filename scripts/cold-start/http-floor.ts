/**
 * Cold-start floor of the signed-HTTP path (scripts/bench-coldstart.ts): the four calls the detect
 * alerting path makes (SNS PublishBatch, EventBridge PutEvents, DynamoDB UpdateItem, CloudWatch
 * PutMetricData) through shared/sinks/transport, and nothing else of Trailwatch. Compare with
 * `sdk-floor.ts` (the same four calls through the AWS SDK) and `empty.ts` (Node's own start).
 */
import { AwsHttp } from '../../shared/sinks/transport/aws-http.ts';
import { CloudWatchHttpClient } from '../../shared/sinks/transport/cloudwatch.ts';
import { DynamoDbHttpClient } from '../../shared/sinks/transport/dynamodb.ts';
import { EventBridgeHttpClient } from '../../shared/sinks/transport/eventbridge.ts';
import { SnsHttpClient } from '../../shared/sinks/transport/sns.ts';

// The clients one by one, not through index.ts: its SDK adapters (apis.ts) are chunks in a split
// bundle but would be inlined in this one-file reference build.
export async function handler(): Promise<{ findings: number }> {
  const http = new AwsHttp();
  const aws = { sns: new SnsHttpClient(http), eventBridge: new EventBridgeHttpClient(http), dynamo: new DynamoDbHttpClient(http), cloudWatch: new CloudWatchHttpClient(http) };
  const detail = JSON.stringify({ detection: 'root-signin', severity: 'critical' });
  await aws.sns.publishBatch({ TopicArn: process.env['TRAILWATCH_ALERTS_TOPIC_ARN'], PublishBatchRequestEntries: [{ Id: '0', Message: detail }] });
  await aws.eventBridge.putEvents({ Entries: [{ Source: 'trailwatch', DetailType: 'Trailwatch Finding', Detail: detail, EventBusName: process.env['TRAILWATCH_FINDINGS_BUS_NAME'] }] });
  await aws.dynamo.updateItem({ TableName: 'novelty', Key: { pk: { S: 'k' } }, UpdateExpression: 'ADD cnt :one', ExpressionAttributeValues: { ':one': { N: '1' } }, ReturnValues: 'ALL_OLD' });
  await aws.cloudWatch.putMetricData({ Namespace: 'Trailwatch', MetricData: [{ MetricName: 'Findings', Value: 1, Unit: 'Count' }] });
  return { findings: 1 };
}
