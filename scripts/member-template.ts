/**
 * The organization member template (docs/organization.md): what every member account and region
 * runs so its CloudTrail events reach Trailwatch's central bus. Generated from the same rule
 * definitions as the central stack, so it forwards what the detections and the rate detector
 * need and nothing more:
 *
 * - one forwarding rule, the rate detector's pattern (every CloudTrail management event, read-only
 *   included), which is a superset of every detect rule's pattern (`forwardedPattern` is checked
 *   against each generated detect rule and each positive sample in test/infra/member-template.test.ts);
 *   one rule rather than one per detect rule, so an event crosses the account boundary once and
 *   reaches each central detection once;
 * - a heartbeat rule (a scheduled event every 5 minutes) to the same bus, so a silent account and
 *   region is distinguishable from a calm one;
 * - a role EventBridge assumes for cross-account delivery, allowed `events:PutEvents` on the
 *   central bus only; a member-side dead-letter queue for events the central bus refused.
 *
 * In the central account's home region the default bus already feeds the detections, so the
 * template creates nothing there (condition `IsCentralHome`): exactly once per event.
 *
 *   npx tsx scripts/member-template.ts [--stack trailwatch-prod] [--out .serverless/trailwatch-member.json]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { pathToFileURL } from 'node:url';
import { detections } from '../shared/detections/index.ts';
import { API_CALL_DETAIL_TYPE, detectionRules, SIGNIN_DETAIL_TYPE, type EventPattern } from '../shared/pipeline/event-rules.ts';

/** Every CloudTrail management event: what RatesRule on the central stack consumes (serverless.yml). */
export const forwardedPattern: EventPattern = {
  'detail-type': [API_CALL_DETAIL_TYPE, SIGNIN_DETAIL_TYPE],
  detail: { eventCategory: ['Management'] },
};

/** Raised when a detect rule needs events the member forwarder would not send. */
export class ForwardingGapError extends Error {
  override name = 'ForwardingGapError';
}

/** Event types a detect rule's pattern admits (its detail-type values, across `$or` branches). */
function detailTypes(pattern: EventPattern): string[] {
  const branches = Array.isArray(pattern['$or']) ? (pattern['$or'] as EventPattern[]) : [pattern];
  return branches.flatMap((b) => (Array.isArray(b['detail-type']) ? (b['detail-type'] as string[]) : ['<any>']));
}

export interface MemberTemplateOptions {
  /** `<service>-<stage>` of the central stack: names the forwarder resources so self-protection sees them. */
  stackName: string;
}

/** The member CloudFormation template (JSON object). Throws ForwardingGapError if a detect rule would go unfed. */
/**
 * Detect rules fed by events other than CloudTrail management events (e.g. GuardDuty, Security Hub
 * and Inspector findings): each is forwarded by a rule of its own with the detect rule's exact
 * pattern, so the member sends those events and nothing wider. A pattern that admits any
 * detail-type cannot be forwarded narrowly: ForwardingGapError.
 */
export function extraForwardedPatterns(): Array<{ key: string; pattern: EventPattern }> {
  const forwarded = new Set(forwardedPattern['detail-type'] as string[]);
  const extra: Array<{ key: string; pattern: EventPattern }> = [];
  for (const rule of detectionRules(detections)) {
    const types = detailTypes(rule.pattern);
    if (types.includes('<any>')) throw new ForwardingGapError(`detect rule ${rule.key} admits any detail-type; the member forwarder cannot send exactly what it needs`);
    const missing = types.filter((t) => !forwarded.has(t));
    if (missing.length === 0) continue;
    if (missing.length !== types.length) throw new ForwardingGapError(`detect rule ${rule.key} mixes CloudTrail and other events (${missing.join(', ')}); split it so the member can forward it once`);
    extra.push({ key: rule.key, pattern: rule.pattern });
  }
  return extra;
}

/** CloudFormation logical id of the forwarding rule for a non-CloudTrail detect rule. */
export function extraForwardRuleId(key: string): string {
  return `Forward${key.replace(/[^A-Za-z0-9]/g, ' ').split(' ').filter(Boolean).map((w) => w[0]!.toUpperCase() + w.slice(1)).join('')}`;
}

export function memberTemplate(options: MemberTemplateOptions): Record<string, unknown> {
  const extra = extraForwardedPatterns();
  const name = (suffix: string) => `${options.stackName}-${suffix}`;
  const busArn = { 'Fn::Sub': 'arn:${AWS::Partition}:events:${CentralRegion}:${CentralAccountId}:event-bus/${CentralBusName}' };
  const target = (id: string) => ({
    Id: id,
    Arn: busArn,
    RoleArn: { 'Fn::GetAtt': ['ForwarderRole', 'Arn'] },
    RetryPolicy: { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86400 },
    DeadLetterConfig: { Arn: { 'Fn::GetAtt': ['ForwarderDlq', 'Arn'] } },
  });
  const when = { Condition: 'Forwards' };
  return {
    AWSTemplateFormatVersion: '2010-09-09',
    Description: `Trailwatch organization forwarder (${options.stackName}): CloudTrail management events and a heartbeat to the central bus. Generated by scripts/member-template.ts.`,
    Parameters: {
      CentralAccountId: { Type: 'String', AllowedPattern: '^\\d{12}$', Description: 'Account of the central Trailwatch stack' },
      CentralRegion: { Type: 'String', Default: 'us-east-1', AllowedPattern: '^[a-z]{2}(-[a-z]+)+-\\d$', Description: 'Region of the central Trailwatch stack' },
      CentralBusName: { Type: 'String', Default: `${options.stackName}-central`, Description: 'Name of the central event bus (output CentralBusArn of the central stack)' },
    },
    Conditions: {
      IsCentralHome: { 'Fn::And': [{ 'Fn::Equals': [{ Ref: 'AWS::AccountId' }, { Ref: 'CentralAccountId' }] }, { 'Fn::Equals': [{ Ref: 'AWS::Region' }, { Ref: 'CentralRegion' }] }] },
      Forwards: { 'Fn::Not': [{ Condition: 'IsCentralHome' }] },
    },
    Resources: {
      // A stack needs one resource; in the central home region this placeholder is the only one.
      CentralHomeNothingToForward: { Type: 'AWS::CloudFormation::WaitConditionHandle', Condition: 'IsCentralHome', Properties: {} },
      ForwarderRole: {
        Type: 'AWS::IAM::Role',
        ...when,
        Properties: {
          Description: 'EventBridge delivers this account and region\'s CloudTrail events to the Trailwatch central bus',
          AssumeRolePolicyDocument: {
            Version: '2012-10-17',
            Statement: [{ Effect: 'Allow', Principal: { Service: 'events.amazonaws.com' }, Action: 'sts:AssumeRole', Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } } }],
          },
          Policies: [{ PolicyName: 'put-central-bus', PolicyDocument: { Version: '2012-10-17', Statement: [{ Sid: 'CentralBusOnly', Effect: 'Allow', Action: 'events:PutEvents', Resource: busArn }] } }],
        },
      },
      ForwarderDlq: { Type: 'AWS::SQS::Queue', ...when, Properties: { QueueName: name('forwarder-dlq'), MessageRetentionPeriod: 1209600, SqsManagedSseEnabled: true } },
      ForwarderDlqPolicy: {
        Type: 'AWS::SQS::QueuePolicy',
        ...when,
        Properties: {
          Queues: [{ Ref: 'ForwarderDlq' }],
          PolicyDocument: {
            Version: '2012-10-17',
            Statement: [
              {
                Sid: 'ForwarderRulesSendDeadLetters',
                Effect: 'Allow',
                Principal: { Service: 'events.amazonaws.com' },
                Action: 'sqs:SendMessage',
                Resource: { 'Fn::GetAtt': ['ForwarderDlq', 'Arn'] },
                Condition: { ArnEquals: { 'aws:SourceArn': [{ 'Fn::GetAtt': ['ForwardRule', 'Arn'] }, ...extra.map((x) => ({ 'Fn::GetAtt': [extraForwardRuleId(x.key), 'Arn'] })), { 'Fn::GetAtt': ['HeartbeatRule', 'Arn'] }] } },
              },
            ],
          },
        },
      },
      ForwardRule: {
        Type: 'AWS::Events::Rule',
        ...when,
        Properties: {
          Name: name('forward-management-events'),
          Description: 'Every CloudTrail management event (read-only included) to the Trailwatch central bus',
          EventBusName: 'default',
          // Read-only management events reach a rule only in this state.
          State: 'ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS',
          EventPattern: forwardedPattern,
          Targets: [target('central-bus')],
        },
      },
      ...Object.fromEntries(
        extra.map((x) => [
          extraForwardRuleId(x.key),
          {
            Type: 'AWS::Events::Rule',
            ...when,
            Properties: {
              Name: name(`forward-${x.key}`.slice(0, 64 - options.stackName.length - 1)),
              Description: `The events central detect rule ${x.key} needs (not CloudTrail) to the Trailwatch central bus`,
              EventBusName: 'default',
              State: 'ENABLED',
              EventPattern: x.pattern,
              Targets: [target('central-bus')],
            },
          },
        ]),
      ),
      HeartbeatRule: {
        Type: 'AWS::Events::Rule',
        ...when,
        Properties: {
          Name: name('forwarder-heartbeat'),
          Description: 'A scheduled event every 5 minutes to the Trailwatch central bus: this account and region is still forwarding',
          ScheduleExpression: 'rate(5 minutes)',
          State: 'ENABLED',
          Targets: [target('central-bus')],
        },
      },
    },
    Outputs: {
      ForwardRuleArn: { Condition: 'Forwards', Value: { 'Fn::GetAtt': ['ForwardRule', 'Arn'] } },
    },
  };
}

function argValue(args: string[], flag: string): string | undefined {
  const i = args.indexOf(flag);
  return i >= 0 ? args[i + 1] : undefined;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = process.argv.slice(2);
  const stackName = argValue(args, '--stack') ?? 'trailwatch-prod';
  const out = argValue(args, '--out') ?? '.serverless/trailwatch-member.json';
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(memberTemplate({ stackName }), null, 2)}\n`);
  process.stdout.write(`wrote ${out}\n`);
}
