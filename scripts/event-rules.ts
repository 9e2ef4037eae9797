/**
 * CloudFormation for the detect function's EventBridge rules, generated from the detection
 * registry (see shared/pipeline/event-rules.ts for the patterns). serverless.yml pulls it in
 * through scripts/event-rules.cjs at package time, so adding a detection adds its rule.
 */
import { createHash } from 'node:crypto';
import { detections } from '../shared/detections/index.ts';
import { detectionRules } from '../shared/pipeline/event-rules.ts';

/** Logical ids of resources defined in serverless.yml that the rules point at. */
export const DETECT_FUNCTION_LOGICAL_ID = 'DetectLambdaFunction';
export const TARGET_DLQ_LOGICAL_ID = 'TargetDlq';

/** EventBridge rule names are ≤ 64 chars; long ids keep a readable head and a hash. */
export function shortSuffix(suffix: string, stackName: string): string {
  const max = 64 - stackName.length - 1;
  if (max < 12) throw new Error(`stack name "${stackName}" leaves no room for rule names (EventBridge allows 64 characters)`);
  if (suffix.length <= max) return suffix;
  const hash = createHash('sha256').update(suffix).digest('hex').slice(0, 6);
  return `${suffix.slice(0, max - 7)}-${hash}`;
}

export interface RuleOptions {
  maxRetryAttempts: number;
  maxEventAgeSeconds: number;
  /** `<service>-<stage>`, the CloudFormation stack name rule names start with. */
  stackName: string;
}

/** `{ Resources }` for every detection rule and the permission letting it invoke detect. */
export function ruleResources(options: RuleOptions): { Resources: Record<string, unknown> } {
  const resources: Record<string, unknown> = {};
  for (const rule of detectionRules(detections)) {
    const ruleId = `DetectRule${rule.logicalId}`;
    resources[ruleId] = {
      Type: 'AWS::Events::Rule',
      Properties: {
        Name: `${options.stackName}-${shortSuffix(rule.nameSuffix, options.stackName)}`,
        Description: `Trailwatch detection ${rule.detection}`,
        EventBusName: 'default',
        State: rule.state,
        EventPattern: rule.pattern,
        Targets: [
          {
            Id: 'detect',
            Arn: { 'Fn::GetAtt': [DETECT_FUNCTION_LOGICAL_ID, 'Arn'] },
            RetryPolicy: {
              MaximumRetryAttempts: options.maxRetryAttempts,
              MaximumEventAgeInSeconds: options.maxEventAgeSeconds,
            },
            DeadLetterConfig: { Arn: { 'Fn::GetAtt': [TARGET_DLQ_LOGICAL_ID, 'Arn'] } },
          },
        ],
      },
    };
    resources[`DetectRulePermission${rule.logicalId}`] = {
      Type: 'AWS::Lambda::Permission',
      Properties: {
        Action: 'lambda:InvokeFunction',
        FunctionName: { 'Fn::GetAtt': [DETECT_FUNCTION_LOGICAL_ID, 'Arn'] },
        Principal: 'events.amazonaws.com',
        SourceArn: { 'Fn::GetAtt': [ruleId, 'Arn'] },
      },
    };
  }
  return { Resources: resources };
}
