import { failed } from './lib/describe.ts';
import { judgedDetect, matchesOf, type Judge, type JudgeTable } from './lib/judged.ts';
import { asArray, path, str } from './lib/values.ts';
import type { Detection, DetectionMeta, TrailEvent } from './types.ts';

/**
 * Accelerated-computing families (GPU, Inferentia, Trainium, FPGA, Gaudi, video transcoding) as listed
 * on the EC2 instance-types page: what cryptominers and stolen-key LLM/GPU resale launch.
 */
const ACCELERATED = /^(p\d|g\d|gr\d|inf\d|trn\d|dl\d|f\d|vt\d)[a-z0-9-]*\./;

function instanceTypes(e: TrailEvent): string[] {
  const rp = e.requestParameters;
  const direct = str(rp?.['instanceType']);
  const spot = str(path(rp, 'launchSpecification', 'instanceType'));
  const fleet = asArray(path(rp, 'CreateFleetRequest', 'LaunchTemplateConfigs')).flatMap((c) => asArray(path(c, 'Overrides')).map((o) => str(path(o, 'InstanceType'))));
  return [direct, spot, ...fleet].filter((t): t is string => t !== undefined);
}

function count(e: TrailEvent): number | undefined {
  const items = asArray(path(e.requestParameters, 'instancesSet', 'items'));
  const max = items.map((i) => path(i, 'maxCount')).find((v) => typeof v === 'number');
  return typeof max === 'number' ? max : typeof e.requestParameters?.['instanceCount'] === 'number' ? (e.requestParameters['instanceCount'] as number) : undefined;
}

const launch: Judge = (e) => {
  if (failed(e) && !/Unauthorized|AccessDenied|VcpuLimitExceeded|InstanceLimitExceeded|InsufficientInstanceCapacity/i.test(e.errorCode ?? '')) return undefined;
  const accelerated = [...new Set(instanceTypes(e).filter((t) => ACCELERATED.test(t)))];
  if (accelerated.length === 0) return undefined;
  const n = count(e);
  return {
    severity: 'medium',
    effect: `${failed(e) ? 'tried to launch' : 'launched'} ${n !== undefined ? `up to ${n} ` : ''}accelerated (GPU/ML) instance${n === 1 ? '' : 's'} ${accelerated.join(', ')}`,
    details: { instanceTypes: accelerated, ...(n !== undefined ? { maxCount: n } : {}) },
  };
};

const JUDGES: JudgeTable = {
  'ec2.amazonaws.com': { RunInstances: launch, RequestSpotInstances: launch, CreateFleet: launch },
};

export const meta: DetectionMeta = {
  id: 'ec2-gpu-instance-launch',
  title: 'GPU / accelerated instances launched or attempted',
  severity: 'medium',
  description:
    'RunInstances, RequestSpotInstances or CreateFleet for accelerated-computing instance types (p, g, inf, trn, dl, f, vt families): the resources cryptominers and credential thieves launch first. Attempts that fail on permissions or quotas are reported too — an attacker probing for capacity is the signal. Other instance types are left to the noise model.',
  matches: matchesOf(JUDGES),
  references: { cis: [], securityHub: [], mitre: ['T1496', 'T1578.002'], stratus: ['aws.execution.ec2-launch-unusual-instances'] },
  runbook:
    'Check whether the caller runs ML or graphics workloads. If not: terminate the instances, deactivate the credentials used, and look for further launches in every region (miners spread across regions).',
  routine: { description: 'ML and rendering teams launch GPU instances from their own roles and regions.', learnable: true },
};

export const detect = judgedDetect(meta, JUDGES, { judgeFailures: true });

export const detection: Detection = { ...meta, detect };
