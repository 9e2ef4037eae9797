/**
 * Cold-start floor of the AWS SDK (scripts/bench-coldstart.ts): the four clients the detect
 * alerting path uses, created and each sending the one call detect sends (SNS PublishBatch,
 * EventBridge PutEvents, CloudWatch PutMetricData, DynamoDB UpdateItem), and nothing of Trailwatch.
 * What detect costs above this is ours; what this costs above `empty.ts` is the SDK's.
 */
import { CloudWatchClient, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { PublishBatchCommand, SNSClient } from '@aws-sdk/client-sns';

export async function handler(): Promise<{ findings: number }> {
  const detail = JSON.stringify({ detection: 'root-signin', severity: 'critical' });
  await new SNSClient({}).send(new PublishBatchCommand({ TopicArn: process.env['TRAILWATCH_ALERTS_TOPIC_ARN'], PublishBatchRequestEntries: [{ Id: '0', Message: detail }] }));
  await new EventBridgeClient({}).send(new PutEventsCommand({ Entries: [{ Source: 'trailwatch', DetailType: 'Trailwatch Finding', Detail: detail, EventBusName: process.env['TRAILWATCH_FINDINGS_BUS_NAME'] }] }));
  await new DynamoDBClient({}).send(new UpdateItemCommand({ TableName: 'novelty', Key: { pk: { S: 'k' } }, UpdateExpression: 'ADD cnt :one', ExpressionAttributeValues: { ':one': { N: '1' } }, ReturnValues: 'ALL_OLD' }));
  await new CloudWatchClient({}).send(new PutMetricDataCommand({ Namespace: 'Trailwatch', MetricData: [{ MetricName: 'Findings', Value: 1, Unit: 'Count' }] }));
  return { findings: 1 };
}
