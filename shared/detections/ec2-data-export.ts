import { fixed, judgedDetect, matchesOf, type JudgeTable } from './lib/judged.ts';
import { path, str } from './lib/values.ts';
import type { Detection, DetectionMeta, TrailEvent } from './types.ts';

const exportTarget = (e: TrailEvent) => str(path(e.requestParameters, 'exportToS3', 's3Bucket')) ?? str(path(e.requestParameters, 's3ExportLocation', 's3Bucket')) ?? str(e.requestParameters?.['bucket']);
const subject = (e: TrailEvent) => str(e.requestParameters?.['instanceId']) ?? str(e.requestParameters?.['imageId']) ?? str(e.requestParameters?.['networkInterfaceId']);

const withBucket = (effect: string) => (e: TrailEvent) => {
  const bucket = exportTarget(e);
  return { severity: 'high' as const, effect: `${effect}${bucket ? ` to S3 bucket ${bucket}` : ''}`, ...(subject(e) ? { resource: subject(e) } : {}), details: { bucket } };
};

const JUDGES: JudgeTable = {
  'ec2.amazonaws.com': {
    CreateInstanceExportTask: withBucket('instance disk exported'),
    ExportImage: withBucket('AMI exported as a disk image'),
    CreateStoreImageTask: withBucket('AMI stored'),
    CreateTrafficMirrorSession: fixed('high', 'traffic mirroring session created (copies an interface\'s packets elsewhere)', subject),
    CreateTrafficMirrorTarget: fixed('medium', 'traffic mirror target created', (e) => str(e.requestParameters?.['networkLoadBalancerArn']) ?? str(e.requestParameters?.['networkInterfaceId'])),
  },
};

export const meta: DetectionMeta = {
  id: 'ec2-data-export',
  title: 'Instance disks, images or network traffic copied out',
  severity: 'high',
  description:
    'An instance or AMI was exported to S3 (CreateInstanceExportTask, ExportImage, CreateStoreImageTask) or a traffic-mirroring session/target was created: whole disks or live packets leave their normal controls. Failed calls are ignored.',
  matches: matchesOf(JUDGES),
  references: { cis: [], securityHub: [], mitre: ['T1537', 'T1040'], stratus: [] },
  runbook:
    'Confirm with the owner (migrations and forensics do this). If unexpected: cancel the task (`aws ec2 cancel-export-task`), delete the mirror session, and check who can read the destination bucket.',
  routine: { description: 'Rare: migrations, forensics teams, network-monitoring appliances.', learnable: true },
};

export const detect = judgedDetect(meta, JUDGES);

export const detection: Detection = { ...meta, detect };
