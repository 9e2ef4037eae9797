import { inherentlyRisky, makeFinding } from './finding.ts';
import { who, where } from './lib/describe.ts';
import { asArray, field, isObject, str } from './lib/values.ts';
import type { Detection, DetectionContext, DetectionMeta, Finding, Severity, TrailEvent } from './types.ts';

/** Name prefix of Trailwatch's own resources when the deployment does not say (DetectionContext.self absent). */
export const DEFAULT_SELF_PREFIX = 'trailwatch-';

const CLOUDTRAIL = 'cloudtrail.amazonaws.com';

const TRAIL_ACTIONS: Record<string, Severity> = {
  StopLogging: 'critical',
  DeleteTrail: 'critical',
  DeleteEventDataStore: 'high',
  StopEventDataStoreIngestion: 'high',
  UpdateTrail: 'medium',
  UpdateEventDataStore: 'medium',
  PutEventSelectors: 'medium',
  PutInsightSelectors: 'low',
  CreateTrail: 'low',
  StartLogging: 'info',
};

/** Calls that turn the monitor itself off, by service. Lambda's CloudTrail names carry API versions. */
const SELF_ACTIONS: Record<string, string[]> = {
  'events.amazonaws.com': ['DeleteRule', 'DisableRule', 'PutRule', 'RemoveTargets'],
  'sns.amazonaws.com': ['DeleteTopic', 'Unsubscribe'],
  'lambda.amazonaws.com': [
    'DeleteFunction',
    'DeleteFunction20150331',
    'PutFunctionConcurrency20171031',
    'RemovePermission20150331',
    'RemovePermission20150331v2',
    'UpdateFunctionCode20150331v2',
    'UpdateFunctionConfiguration20150331v2',
  ],
  // DeleteStackInstances / DeleteStackSet: the organization forwarders' StackSet (docs/organization.md).
  'cloudformation.amazonaws.com': ['DeleteStack', 'DeleteStackInstances', 'DeleteStackSet'],
};

/** Stacks a StackSet creates in member accounts are named `StackSet-<stack set name>-<id>`. */
const STACKSET_INSTANCE = /^StackSet-(.+)$/;

export const meta: DetectionMeta = {
  id: 'trail-tampering',
  title: 'Audit trail or Trailwatch tampering',
  severity: 'high',
  description:
    'CloudTrail logging is stopped, deleted or narrowed (StopLogging, DeleteTrail, UpdateTrail, PutEventSelectors, PutInsightSelectors; CreateTrail/StartLogging as low/info per the CIS "CloudTrail configuration changes" list), CloudTrail Lake stops recording (DeleteEventDataStore, StopEventDataStoreIngestion: Lake can be the only copy an organisation keeps), or someone disables Trailwatch itself (its EventBridge rules, SNS topics, Lambda functions or stack — matched by DetectionContext.self, default prefix "trailwatch-"). Failed StopLogging/DeleteTrail calls are reported as attempts (denied: high; a wrong trail name such as TrailNotFoundException, i.e. guessing trail names: medium; other errors such as ConflictException: quiet); failed self-disabling calls are reported when denied.',
  matches: [
    { eventSource: [CLOUDTRAIL], eventName: Object.keys(TRAIL_ACTIONS).sort() },
    ...Object.entries(SELF_ACTIONS).map(([eventSource, eventName]) => ({ eventSource: [eventSource], eventName: [...eventName].sort() })),
  ],
  references: {
    cis: ['CIS 3.5 (v1.2): CloudTrail configuration changes', 'CIS 4.5 (v1.4/v3.0): CloudTrail configuration changes'],
    securityHub: ['CloudWatch.5'],
    mitre: ['T1562.008', 'T1562.001'],
    stratus: ['aws.defense-evasion.cloudtrail-delete', 'aws.defense-evasion.cloudtrail-event-selectors', 'aws.defense-evasion.cloudtrail-stop'],
  },
  runbook:
    'Turn logging back on at once (`aws cloudtrail start-logging`, recreate the trail or redeploy Trailwatch), then treat the gap as an incident: find who did it, revoke their credentials and review what happened while logging was off.',
  routine: { description: 'Nobody: stopping, deleting or narrowing the trail, or disabling Trailwatch, is never routine.', learnable: false },
};

function wrongTrail(event: TrailEvent): boolean {
  return /TrailNotFound|InvalidTrailName/i.test(event.errorCode ?? '');
}

function denied(event: TrailEvent): boolean {
  return /AccessDenied|Unauthorized/i.test(event.errorCode ?? '');
}

/** What a PutEventSelectors call does to coverage: high if management events or writes stop being recorded. */
export function judgeEventSelectors(rp: Record<string, unknown> | null): { severity: Severity; effect: string } {
  const basic = asArray(rp?.['eventSelectors']).filter(isObject);
  const advanced = asArray(rp?.['advancedEventSelectors']).filter(isObject);
  if (basic.length > 0) {
    const management = basic.filter((s) => s['includeManagementEvents'] !== false);
    if (management.length === 0) return { severity: 'high', effect: 'management events are no longer recorded' };
    if (management.every((s) => str(s['readWriteType']) === 'ReadOnly')) return { severity: 'high', effect: 'write (change) events are no longer recorded' };
    if (management.some((s) => asArray(s['excludeManagementEventSources']).length > 0)) {
      return { severity: 'medium', effect: `management events from ${management.flatMap((s) => asArray(s['excludeManagementEventSources'])).join(', ')} are excluded` };
    }
    return { severity: 'medium', effect: 'event selectors changed' };
  }
  if (advanced.length > 0) {
    const fields = (s: Record<string, unknown>) => asArray(s['fieldSelectors']).filter(isObject);
    const isManagement = (s: Record<string, unknown>) =>
      fields(s).some((f) => str(f['field']) === 'eventCategory' && asArray(f['equals']).includes('Management'));
    const management = advanced.filter(isManagement);
    if (management.length === 0) return { severity: 'high', effect: 'management events are no longer recorded' };
    const readOnlyOnly = management.every((s) => fields(s).some((f) => str(f['field']) === 'readOnly' && asArray(f['equals']).includes('true')));
    if (readOnlyOnly) return { severity: 'high', effect: 'write (change) events are no longer recorded' };
    return { severity: 'medium', effect: 'advanced event selectors changed' };
  }
  return { severity: 'medium', effect: 'event selectors changed' };
}

function trailFinding(event: TrailEvent): Finding[] {
  const base = TRAIL_ACTIONS[event.name];
  if (!base) return [];
  const attempt = event.errorCode !== undefined;
  // A failed StopLogging/DeleteTrail is still someone trying to blind the account: denied is high;
  // a wrong trail name (TrailNotFoundException, InvalidTrailNameException: guessing or racing trail
  // names) is medium. Other errors (ConflictException during a CloudFormation update, throttling) and
  // other failed trail calls changed nothing and stay quiet.
  if (attempt && !((event.name === 'StopLogging' || event.name === 'DeleteTrail') && (denied(event) || wrongTrail(event)))) return [];
  const rp = event.requestParameters;
  const trail = str(rp?.['name']) ?? str(rp?.['trailName']) ?? str(rp?.['eventDataStore']) ?? 'unknown trail';
  let severity = base;
  let effect: string = {
    StopLogging: 'logging stopped',
    DeleteTrail: 'trail deleted',
    DeleteEventDataStore: 'CloudTrail Lake event data store deleted',
    StopEventDataStoreIngestion: 'CloudTrail Lake ingestion stopped',
    UpdateTrail: 'trail settings changed',
    UpdateEventDataStore: 'event data store settings changed',
    PutInsightSelectors: 'Insights selectors changed',
    CreateTrail: 'trail created',
    StartLogging: 'logging started',
    PutEventSelectors: 'event selectors changed',
  }[event.name] ?? event.name;
  if (event.name === 'PutEventSelectors') ({ severity, effect } = judgeEventSelectors(rp));
  if (event.name === 'UpdateTrail' && rp) {
    const narrowed = rp['isMultiRegionTrail'] === false || rp['includeGlobalServiceEvents'] === false || rp['s3BucketName'] !== undefined;
    if (narrowed) {
      severity = 'high';
      const bucket = str(rp['s3BucketName']);
      effect = rp['s3BucketName'] !== undefined ? `logs now go to ${bucket ? `bucket ${bucket}` : 'another bucket'}` : 'trail coverage narrowed (single region or no global events)';
    }
  }
  if (event.name === 'PutInsightSelectors' && asArray(rp?.['insightSelectors']).length === 0) {
    severity = 'medium';
    effect = 'Insights turned off';
  }
  if (attempt) severity = denied(event) ? 'high' : 'medium';
  const findings = [
    makeFinding(meta, event, {
      title: attempt
        ? `${who(event)} tried to ${event.name === 'StopLogging' ? 'stop' : 'delete'} CloudTrail trail ${trail} ${where(event)} (${event.errorCode})`
        : `${who(event)}: CloudTrail ${effect} on ${trail} ${where(event)}`,
      severity,
      details: { target: 'cloudtrail', action: event.name, trail, effect, ...(attempt ? { attempted: true, errorCode: event.errorCode } : {}) },
    }),
  ];
  // Audit logging stopped or narrowed is dangerous whoever does it.
  return severity === 'high' || severity === 'critical' ? inherentlyRisky(findings, `CloudTrail ${effect}`) : findings;
}

/** The name of the Trailwatch resource an event touches, or undefined when it is not one of ours. */
export function selfTarget(event: TrailEvent, context?: DetectionContext): string | undefined {
  const self = context?.self;
  const rp = event.requestParameters ?? {};
  const prefixes = (...values: Array<string | undefined>) => {
    const given = values.filter((v): v is string => typeof v === 'string' && v.length > 0);
    return given.length > 0 ? given : [DEFAULT_SELF_PREFIX];
  };
  const lastPart = (value: string | undefined, sep: RegExp) => value?.split(sep).filter(Boolean).pop();
  const startsWithAny = (name: string | undefined, list: string[]) => name !== undefined && list.some((p) => name.startsWith(p));
  switch (event.source) {
    case 'events.amazonaws.com': {
      const rule = str(rp['name']) ?? str(rp['rule']);
      return startsWithAny(rule, prefixes(self?.ruleNamePrefix, self?.stackName)) ? rule : undefined;
    }
    case 'sns.amazonaws.com': {
      const arn = str(rp['topicArn']) ?? str(rp['subscriptionArn'])?.split(':').slice(0, 6).join(':');
      if (!arn) return undefined;
      if (self?.topicArns && self.topicArns.length > 0) return self.topicArns.includes(arn) ? arn : undefined;
      return startsWithAny(arn.split(':')[5], prefixes(self?.stackName)) ? arn : undefined;
    }
    case 'lambda.amazonaws.com': {
      const fn = lastPart(str(rp['functionName']), /:function:|:/);
      return startsWithAny(fn, prefixes(self?.functionNamePrefix, self?.stackName)) ? fn : undefined;
    }
    case 'cloudformation.amazonaws.com': {
      const stack = str(rp['stackName']) ?? str(rp['stackSetName']);
      const full = stack?.startsWith('arn:') ? stack.split('/')[1] : stack;
      // A forwarder stack instance in a member account counts as ours by its stack set's name.
      const name = full?.replace(STACKSET_INSTANCE, '$1');
      if (self?.stackName) return name === self.stackName || name?.startsWith(self.stackName) ? name : undefined;
      return startsWithAny(name, [DEFAULT_SELF_PREFIX.replace(/-$/, '')]) ? name : undefined;
    }
    default:
      return undefined;
  }
}

/** Whether a self-targeted call actually weakens the monitor (PutRule only when it disables, concurrency only at 0...). */
function disablesMonitor(event: TrailEvent): { disables: boolean; effect: string } {
  const rp = event.requestParameters ?? {};
  switch (event.name) {
    case 'PutRule': {
      const state = str(rp['state']);
      return state && state !== 'ENABLED' && state !== 'ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS'
        ? { disables: true, effect: `rule set to ${state}` }
        : { disables: false, effect: 'rule updated' };
    }
    case 'PutFunctionConcurrency20171031': {
      const reserved = field(rp, 'reservedConcurrentExecutions');
      return reserved === 0 || reserved === '0' ? { disables: true, effect: 'function throttled to zero concurrency' } : { disables: false, effect: 'concurrency changed' };
    }
    case 'UpdateFunctionCode20150331v2':
      return { disables: true, effect: 'function code replaced' };
    case 'UpdateFunctionConfiguration20150331v2':
      return { disables: true, effect: 'function configuration changed' };
    default:
      return { disables: true, effect: event.name };
  }
}

function selfFinding(event: TrailEvent, context?: DetectionContext): Finding[] {
  if (!(SELF_ACTIONS[event.source] ?? []).includes(event.name)) return [];
  const target = selfTarget(event, context);
  if (!target) return [];
  if (event.errorCode && !denied(event)) return [];
  const { disables, effect } = disablesMonitor(event);
  if (!disables) return [];
  // Code/config updates are also how Trailwatch is deployed: high, not critical, and the runbook says check the pipeline.
  const redeployLike = event.name.startsWith('Update');
  const severity: Severity = event.errorCode ? 'high' : redeployLike ? 'high' : 'critical';
  return inherentlyRisky([
    makeFinding(meta, event, {
      title: `${who(event)} ${event.errorCode ? `tried to disable Trailwatch (${event.errorCode})` : 'disabled part of Trailwatch'}: ${effect} on ${target} ${where(event)}`,
      severity,
      details: { target: 'trailwatch', action: event.name, resource: target, effect, ...(event.errorCode ? { attempted: true, errorCode: event.errorCode } : {}) },
    }),
  ], `the monitor itself disabled: ${effect}`);
}

/** Fires when audit logging is reduced or when the monitor's own resources are disabled. */
export function detect(event: TrailEvent, context?: DetectionContext): Finding[] {
  if (event.source === CLOUDTRAIL) return trailFinding(event);
  return selfFinding(event, context);
}

export const detection: Detection = { ...meta, detect };
