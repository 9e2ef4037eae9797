import { looseBool } from '../model/normalize.ts';
import { fixed, judgedDetect, matchesOf, type Judge, type JudgeTable, type Verdict } from './lib/judged.ts';
import { str } from './lib/values.ts';
import type { Detection, DetectionMeta, TrailEvent } from './types.ts';

const instance = (e: TrailEvent) => str(e.requestParameters?.['dBInstanceIdentifier']);
const cluster = (e: TrailEvent) => str(e.requestParameters?.['dBClusterIdentifier']);
const snapshot = (e: TrailEvent) => str(e.requestParameters?.['dBSnapshotIdentifier']) ?? str(e.requestParameters?.['dBClusterSnapshotIdentifier']);

/** The riskiest of the settings a Modify call changes, or undefined when none of them is a risk. */
const modify =
  (kind: 'instance' | 'cluster'): Judge =>
  (e) => {
    const rp = e.requestParameters ?? {};
    const resource = kind === 'instance' ? instance(e) : cluster(e);
    const found: Verdict[] = [];
    if (looseBool(rp['publiclyAccessible']) === true)
      found.push({ severity: 'high', effect: `RDS ${kind} made publicly accessible`, inherentRisk: 'database endpoint reachable from the internet' });
    if ('masterUserPassword' in rp) found.push({ severity: 'medium', effect: `RDS ${kind} master password changed` });
    if (looseBool(rp['deletionProtection']) === false) found.push({ severity: 'medium', effect: `RDS ${kind} deletion protection disabled` });
    if (looseBool(rp['manageMasterUserPassword']) === false) found.push({ severity: 'low', effect: `RDS ${kind} master password taken out of Secrets Manager` });
    if (found.length === 0) return undefined;
    const [worst] = found;
    return { ...(worst as Verdict), effect: found.map((f) => f.effect).join('; '), ...(resource ? { resource } : {}) };
  };

const restore =
  (kind: string): Judge =>
  (e) =>
    looseBool(e.requestParameters?.['publiclyAccessible']) === true
      ? { severity: 'high', effect: `${kind} restored as publicly accessible`, resource: instance(e) ?? cluster(e), inherentRisk: 'database endpoint reachable from the internet', details: { fromSnapshot: snapshot(e) } }
      : undefined;

const created =
  (kind: string): Judge =>
  (e) =>
    looseBool(e.requestParameters?.['publiclyAccessible']) === true
      ? { severity: 'high', effect: `${kind} created publicly accessible`, resource: instance(e) ?? cluster(e), inherentRisk: 'database endpoint reachable from the internet' }
      : undefined;

const exportTask: Judge = (e) => {
  const rp = e.requestParameters ?? {};
  const bucket = str(rp['s3BucketName']);
  return {
    severity: 'high',
    effect: `RDS snapshot exported to S3${bucket ? ` bucket ${bucket}` : ''}`,
    ...(str(rp['sourceArn']) ? { resource: str(rp['sourceArn']) } : {}),
    details: { bucket, exportTaskIdentifier: str(rp['exportTaskIdentifier']), iamRoleArn: str(rp['iamRoleArn']) },
  };
};

const JUDGES: JudgeTable = {
  'rds.amazonaws.com': {
    ModifyDBInstance: modify('instance'),
    ModifyDBCluster: modify('cluster'),
    RestoreDBInstanceFromDBSnapshot: restore('RDS instance'),
    RestoreDBInstanceToPointInTime: restore('RDS instance'),
    RestoreDBInstanceFromS3: restore('RDS instance (from an S3 backup)'),
    CreateDBInstance: created('RDS instance'),
    StartExportTask: exportTask,
    DeleteDBInstance: fixed('high', 'RDS instance deleted', instance),
    DeleteDBCluster: fixed('high', 'RDS cluster deleted', cluster),
    DeleteDBSnapshot: fixed('medium', 'RDS snapshot deleted', snapshot),
    DeleteDBClusterSnapshot: fixed('medium', 'RDS cluster snapshot deleted', snapshot),
  },
};

export const meta: DetectionMeta = {
  id: 'rds-changes',
  title: 'RDS database exposed, exported, weakened or deleted',
  severity: 'high',
  description:
    'RDS instance or cluster made publicly accessible, or an instance created or restored as public (high), snapshot exported to S3 (high), master password changed or deletion protection disabled (medium), instance/cluster deleted (high), snapshot deleted (medium). Other Modify calls (instance class, backups…) are not reported. Failed calls are ignored.',
  matches: matchesOf(JUDGES),
  references: {
    cis: ['CIS 2.3.3 (v3.0): RDS instances are not publicly accessible'],
    securityHub: ['RDS.2', 'RDS.8'],
    mitre: ['T1537', 'T1485', 'T1098', 'T1530'],
    stratus: [],
  },
  runbook:
    'Revert exposure at once (`modify-db-instance --no-publicly-accessible`, re-enable deletion protection), cancel an unexpected export (`cancel-export-task`), and check the final snapshot of a deleted database. Then review the caller\'s other actions.',
  routine: { description: 'Database admins and IaC pipelines modify and delete test databases; public access and exports are rare.', learnable: true },
};

export const detect = judgedDetect(meta, JUDGES);

export const detection: Detection = { ...meta, detect };
