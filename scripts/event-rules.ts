/**
 * CloudFormation for the detect function's EventBridge rules, generated from the detection
 * registry (see shared/pipeline/event-rules.ts for the routing design: disjoint named rules plus
 * one rule per wildcard detection, each target input carrying its route). serverless.yml pulls it
 * in through scripts/event-rules.cjs at package time, so adding a detection updates the rules.
 */
import { createHash } from 'node:crypto';
import { detections } from '../shared/detections/index.ts';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { detectionRules, inputTemplate, ROUTING_LIMITS, type RuleTuning } from '../shared/pipeline/event-rules.ts';
import { knownDetectionIds } from '../shared/routing/deployed.ts';
import { loadTuningFile } from '../shared/tuning/load.ts';

/** Logical ids of resources defined in serverless.yml that the rules point at. */
export const DETECT_FUNCTION_LOGICAL_ID = 'DetectLambdaFunction';
export const TARGET_DLQ_LOGICAL_ID = 'TargetDlq';
/** The serverless.yml condition that is true with `--param mode=organization`. */
export const ORGANIZATION_CONDITION = 'IsOrganization';

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
  /** Also generate the same rules on the organization's central bus (condition `IsOrganization`). */
  centralBusLogicalId?: string;
  maxEventAgeSeconds: number;
  /** `<service>-<stage>`, the CloudFormation stack name rule names start with. */
  stackName: string;
  /** What the tuning file says that shapes rules (approvedRegions); default: nothing (zero configuration). */
  tuning?: RuleTuning;
}

/**
 * The rule-shaping part of the tuning file the stack packages (trailwatch.config.yaml, validated
 * as the package step validates it): the same file the Lambdas read, so the deployed
 * unused-region-activity rule and the detection agree on the approved regions.
 */
export function packagedRuleTuning(file = join(dirname(fileURLToPath(import.meta.url)), '..', 'trailwatch.config.yaml')): RuleTuning {
  if (!existsSync(file)) return {};
  const { approvedRegions } = loadTuningFile(file, { knownDetections: knownDetectionIds(detections) }).config;
  return approvedRegions ? { approvedRegions } : {};
}

/** EventBridge allows 512 characters of rule description. */
function describe(rule: { key: string; detections: string[] }): string {
  const text = `Trailwatch detect rule ${rule.key}: ${rule.detections.join(', ')}`;
  return text.length <= 512 ? text : `${text.slice(0, 508)} …`;
}

/** `{ Resources }` for every detect rule and the permission letting it invoke detect. */
export function ruleResources(options: RuleOptions): { Resources: Record<string, unknown> } {
  const resources: Record<string, unknown> = {};
  const buses: Array<{ prefix: string; bus: unknown; condition?: string }> = [{ prefix: 'DetectRule', bus: 'default' }];
  // Organization mode (docs/organization.md): member accounts' events arrive on the central bus,
  // the central account's own events on its default bus; each event reaches exactly one of the
  // two rule sets, so exactly-once per detection holds across both.
  if (options.centralBusLogicalId) buses.push({ prefix: 'CentralDetectRule', bus: { Ref: options.centralBusLogicalId }, condition: ORGANIZATION_CONDITION });
  for (const { prefix, bus, condition } of buses) for (const rule of detectionRules(detections, ROUTING_LIMITS, options.tuning ?? {})) {
    const ruleId = `${prefix}${rule.logicalId}`;
    resources[ruleId] = {
      Type: 'AWS::Events::Rule',
      ...(condition ? { Condition: condition } : {}),
      Properties: {
        Name: `${options.stackName}-${shortSuffix(rule.nameSuffix, options.stackName)}`,
        Description: describe(rule),
        EventBusName: bus,
        State: rule.state,
        EventPattern: rule.pattern,
        Targets: [
          {
            Id: 'detect',
            Arn: { 'Fn::GetAtt': [DETECT_FUNCTION_LOGICAL_ID, 'Arn'] },
            // The route tells detect which detections this rule stands for (exactly-once per detection).
            InputTransformer: { InputTemplate: inputTemplate(rule.route) },
            RetryPolicy: {
              MaximumRetryAttempts: options.maxRetryAttempts,
              MaximumEventAgeInSeconds: options.maxEventAgeSeconds,
            },
            DeadLetterConfig: { Arn: { 'Fn::GetAtt': [TARGET_DLQ_LOGICAL_ID, 'Arn'] } },
          },
        ],
      },
    };
    resources[`${prefix}Permission${rule.logicalId}`] = {
      Type: 'AWS::Lambda::Permission',
      ...(condition ? { Condition: condition } : {}),
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
