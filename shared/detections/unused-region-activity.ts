import { ANY, makeFinding } from './finding.ts';
import { failed, where, who } from './lib/describe.ts';
import { globalServiceAt } from './lib/global-services.ts';
import { approvedRegionsFor } from './lib/regions.ts';
import type { Detection, DetectionContext, DetectionMeta, Finding, Severity, TrailEvent } from './types.ts';

/**
 * Calls that start compute someone pays for and can hide in a region nobody watches (cryptomining,
 * staging): high in an unapproved region. CloudTrail event names as records carry them (Lambda's
 * carry an API version suffix).
 */
const COMPUTE_LAUNCHES: Record<string, readonly string[]> = {
  'ec2.amazonaws.com': ['RunInstances', 'RequestSpotInstances', 'RequestSpotFleet', 'CreateFleet', 'StartInstances'],
  'lambda.amazonaws.com': ['CreateFunction20150331'],
  'ecs.amazonaws.com': ['RunTask', 'StartTask', 'CreateService'],
  'eks.amazonaws.com': ['CreateCluster', 'CreateNodegroup'],
  'autoscaling.amazonaws.com': ['CreateAutoScalingGroup'],
  'batch.amazonaws.com': ['SubmitJob', 'CreateComputeEnvironment'],
  'lightsail.amazonaws.com': ['CreateInstances'],
  'sagemaker.amazonaws.com': ['CreateNotebookInstance', 'CreateTrainingJob', 'CreateEndpoint'],
};

/** Read-only by name, for records without `readOnly` (the same prefixes the rule generator treats as read-only). */
const READ_ONLY_NAME = /^(Get|List|Describe|Lookup|BatchGet|Search|Head|Check|Scan|Query)[A-Z]/;

/**
 * Organization-wide baseline roles that deploy to every enabled region by design (Control Tower's
 * region-deny control exempts exactly these): StackSet execution (including Trailwatch's own
 * forwarder StackSet) and Control Tower's execution role. Their writes are reported low, not exempt:
 * the roles are powerful, and a change from them is still a change in an unapproved region.
 */
const BASELINE_ROLE = /:role\/(AWSControlTowerExecution|AWSCloudFormationStackSetExecutionRole|stacksets-exec-[0-9a-f]+)$/;

/** Why an event is not judged at all, or undefined when it is. Each reason is written down in docs/detections.md. */
export function exemption(event: TrailEvent): string | undefined {
  const p = event.principal;
  if (event.eventType === 'AwsServiceEvent' || event.eventType === 'AwsCloudTrailInsight') return 'an AWS service event, not a call';
  if (event.raw.managementEvent === false || event.raw.eventCategory === 'Data') return 'a data event (Trailwatch watches management events)';
  if (event.readOnly === true || (event.readOnly === undefined && READ_ONLY_NAME.test(event.name))) return 'read-only';
  const global = globalServiceAt(event.source, event.region);
  if (global) return `${global.service} logs in ${global.region} whatever region the caller works in`;
  if (p.type === 'AWSService') return 'an AWS service acting on its own';
  if (p.invokedBy !== undefined) return `invoked by ${p.invokedBy} on the principal's behalf`;
  if (/:role\/aws-service-role\//.test(p.sessionIssuer?.arn ?? p.arn ?? '')) return 'a service-linked role (AWS acting on its own)';
  return undefined;
}

function launches(event: TrailEvent): boolean {
  return COMPUTE_LAUNCHES[event.source]?.includes(event.name) === true;
}

export const meta: DetectionMeta = {
  id: 'unused-region-activity',
  title: 'Write activity in a region the organization does not use',
  severity: 'medium',
  description:
    'A write (not read-only) management call in a region outside the tuning file\'s `approvedRegions` (organization-wide, or the account\'s own list). Attackers work in regions nobody watches. Not judged: read-only calls; global services in the region they always log in (IAM, STS global endpoint, CloudFront, Route 53, Organizations… us-east-1; Global Accelerator us-west-2; console sign-in also in us-east-2, eu-north-1, ap-southeast-2: shared/detections/lib/global-services.ts); AWS services acting on their own (AWSService identities, invokedBy, service-linked roles); AWS service events and data events. Compute launches (RunInstances, CreateFunction, RunTask…) are high; a failed call (e.g. AccessDenied from a region-deny SCP) is low — the credentials were used there; StackSet and Control Tower execution roles, which deploy baselines to every region, are low. Inactive without `approvedRegions`.',
  matches: [{ eventSource: [ANY], eventName: [ANY] }],
  references: { cis: [], securityHub: [], mitre: ['T1535', 'T1496'], stratus: [] },
  runbook:
    'Ask the caller (or the account owner) why they work in this region. If nobody knows: treat the credentials as compromised (deactivate the key / revoke the role sessions), list and remove what was created there (`aws resourcegroupstaggingapi get-resources --region <region>`, EC2, Lambda), and consider a region-deny SCP. If the region is now in use, add it to `approvedRegions`.',
  routine: {
    description: 'Nobody works outside the approved regions by definition; the fix for a new region in use is to add it to approvedRegions, not to learn it.',
    learnable: false,
  },
  needsTuning: { key: 'approvedRegions', why: 'which regions the organization uses is a fact only the organization knows; with zero configuration the detection reports nothing' },
};

/** Fires on a write in a region outside the approved list that applies to the event's account. */
export function detect(event: TrailEvent, context?: DetectionContext): Finding[] {
  const approved = approvedRegionsFor(context?.approvedRegions, event.account);
  if (!approved || approved.regions.has(event.region)) return [];
  if (exemption(event) !== undefined) return [];
  const p = event.principal;
  const baseline = BASELINE_ROLE.test(p.sessionIssuer?.arn ?? p.arn ?? '');
  const signIn = event.source === 'signin.amazonaws.com';
  const launch = launches(event);
  let severity: Severity = launch ? 'high' : 'medium';
  let why = launch ? 'a compute launch' : 'a write';
  if (signIn) [severity, why] = ['low', 'a console sign-in through this region\'s endpoint'];
  if (failed(event)) [severity, why] = ['low', `a failed ${launch ? 'compute launch' : 'call'} (${event.errorCode ?? 'error'}): the credentials were used there`];
  if (baseline) [severity, why] = ['low', 'an organization baseline role (StackSet / Control Tower) that deploys to every region'];
  const finding = makeFinding(meta, event, {
    title: `${who(event)} ${failed(event) ? 'tried' : 'called'} ${event.name} ${where(event)}, a region ${approved.scope} does not use${failed(event) ? ` — ${event.errorCode ?? 'failed'}` : ''}`,
    severity,
    details: { region: event.region, approvedRegions: [...approved.regions].sort(), approvedBy: approved.scope, judged: why, ...(launch ? { computeLaunch: true } : {}) },
  });
  if (launch && !failed(event) && !baseline) finding.inherentRisk = `compute launched in unapproved region ${event.region}`;
  return [finding];
}

export const detection: Detection = { ...meta, detect };
