import { judgedDetect, matchesOf, type Judge, type JudgeTable } from './lib/judged.ts';
import { asArray, path, str, strings } from './lib/values.ts';
import type { Detection, DetectionMeta, TrailEvent } from './types.ts';

/** Who an EC2 permission list adds: account ids, "all" (public), organisation / OU ARNs. */
function ec2Grantees(list: unknown): string[] {
  return asArray(path(list, 'add', 'items')).map((i) => str(path(i, 'userId')) ?? (str(path(i, 'group')) === 'all' ? 'all' : undefined) ?? str(path(i, 'organizationArn')) ?? str(path(i, 'organizationalUnitArn')) ?? '?');
}

function verdictFor(kind: string, resource: string | undefined, grantees: string[], account: string) {
  const others = grantees.filter((g) => g !== account);
  if (others.length === 0) return undefined;
  const isPublic = others.includes('all');
  return {
    severity: isPublic ? ('critical' as const) : ('high' as const),
    effect: isPublic ? `${kind} made public (any AWS account can copy it)` : `${kind} shared with ${others.join(', ')}`,
    ...(resource ? { resource } : {}),
    ...(isPublic ? { inherentRisk: `${kind} readable by every AWS account` } : {}),
    details: { sharedWith: others, public: isPublic },
  };
}

const ebsSnapshot: Judge = (e) => verdictFor('EBS snapshot', str(e.requestParameters?.['snapshotId']), ec2Grantees(e.requestParameters?.['createVolumePermission']), e.account);
const ami: Judge = (e) => verdictFor('AMI', str(e.requestParameters?.['imageId']), ec2Grantees(e.requestParameters?.['launchPermission']), e.account);

const rdsSnapshot =
  (kind: string, idKey: string): Judge =>
  (e: TrailEvent) => {
    if (str(e.requestParameters?.['attributeName']) !== 'restore') return undefined;
    return verdictFor(kind, str(e.requestParameters?.[idKey]), strings(e.requestParameters?.['valuesToAdd']), e.account);
  };

const JUDGES: JudgeTable = {
  'ec2.amazonaws.com': { ModifySnapshotAttribute: ebsSnapshot, ModifyImageAttribute: ami },
  'rds.amazonaws.com': {
    ModifyDBSnapshotAttribute: rdsSnapshot('RDS snapshot', 'dBSnapshotIdentifier'),
    ModifyDBClusterSnapshotAttribute: rdsSnapshot('RDS cluster snapshot', 'dBClusterSnapshotIdentifier'),
  },
};

export const meta: DetectionMeta = {
  id: 'snapshot-sharing',
  title: 'Snapshot or image shared with another account or made public',
  severity: 'high',
  description:
    'An EBS snapshot (createVolumePermission), an AMI (launchPermission) or an RDS snapshot / cluster snapshot (restore attribute) was shared with another account (high) or with "all" (public: critical). Removing a share and sharing with the account itself are not reported. Failed calls are ignored.',
  matches: matchesOf(JUDGES),
  references: {
    cis: [],
    securityHub: ['EC2.1', 'RDS.1'],
    mitre: ['T1537'],
    stratus: ['aws.exfiltration.ec2-share-ebs-snapshot', 'aws.exfiltration.ec2-share-ami', 'aws.exfiltration.rds-share-snapshot'],
  },
  runbook:
    'Remove the share at once (`modify-snapshot-attribute --operation-type remove`, `modify-image-attribute`, `modify-db-snapshot-attribute --values-to-remove`), check whether the other account already copied it, and identify who made the call.',
  routine: { description: 'Backup and image pipelines share with known accounts of the same organization.', learnable: true },
};

export const detect = judgedDetect(meta, JUDGES);

export const detection: Detection = { ...meta, detect };
