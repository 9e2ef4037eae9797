import { fixed, judgedDetect, matchesOf, type Judge, type JudgeTable } from './lib/judged.ts';
import { isObject, str } from './lib/values.ts';
import type { Detection, DetectionMeta, TrailEvent } from './types.ts';

const bucket = (e: TrailEvent) => str(e.requestParameters?.['bucketName']);

/** The four Block Public Access flags that are switched off in a PutAccountPublicAccessBlock request. */
function bpaOff(e: TrailEvent): string[] {
  const config = e.requestParameters?.['PublicAccessBlockConfiguration'];
  if (!isObject(config)) return [];
  return ['BlockPublicAcls', 'IgnorePublicAcls', 'BlockPublicPolicy', 'RestrictPublicBuckets'].filter((k) => config[k] === false || config[k] === 'false');
}

const accountBpa: Judge = (e) => {
  const off = bpaOff(e);
  return off.length === 0
    ? undefined
    : { severity: 'high', effect: `S3 account-level Block Public Access weakened (${off.join(', ')} off)`, inherentRisk: 'buckets of the whole account can become public', details: { disabled: off } };
};

const JUDGES: JudgeTable = {
  's3.amazonaws.com': {
    DeleteBucket: fixed('medium', 'S3 bucket deleted', bucket),
    DeleteAccountPublicAccessBlock: fixed('high', 'S3 account-level Block Public Access removed', undefined, 'buckets of the whole account can become public'),
    PutAccountPublicAccessBlock: accountBpa,
    DeleteBucketEncryption: fixed('low', 'S3 bucket default encryption configuration removed (falls back to SSE-S3; a customer KMS key is no longer used)', bucket),
  },
  'ec2.amazonaws.com': {
    DisableEbsEncryptionByDefault: fixed('medium', 'EBS encryption by default disabled for the region'),
  },
  'kms.amazonaws.com': {
    DeleteImportedKeyMaterial: fixed('high', 'KMS imported key material deleted (data under the key is unreadable until it is re-imported)', (e) => str(e.requestParameters?.['keyId'])),
  },
  'elasticfilesystem.amazonaws.com': {
    DeleteFileSystem: fixed('high', 'EFS file system deleted', (e) => str(e.requestParameters?.['fileSystemId'])),
  },
};

export const meta: DetectionMeta = {
  id: 'data-protection-changes',
  title: 'Data store deleted or its protection removed',
  severity: 'medium',
  description:
    'S3 bucket deleted (medium); S3 account-level Block Public Access removed or weakened (high); S3 default encryption configuration removed (low: S3 falls back to SSE-S3); EBS encryption by default disabled (medium); KMS imported key material deleted (high); EFS file system deleted (high). Bucket-level Block Public Access is s3-bucket-config-changes\'s. Failed calls are ignored.',
  matches: matchesOf(JUDGES),
  references: {
    cis: ['CIS 2.1.4 (v3.0): S3 Block Public Access', 'CIS 2.2.1 (v3.0): EBS volume encryption is enabled'],
    securityHub: ['S3.1', 'EC2.7'],
    mitre: ['T1485', 'T1486', 'T1562.001', 'T1530'],
    stratus: [],
  },
  runbook:
    'Restore the protection now (`s3control put-public-access-block`, `ec2 enable-ebs-encryption-by-default`, re-import the key material). For deletions, check backups and replication and find out whether data was copied out first.',
  routine: { description: 'IaC teardown of test stacks deletes buckets and file systems; protection settings rarely change.', learnable: true },
};

export const detect = judgedDetect(meta, JUDGES);

export const detection: Detection = { ...meta, detect };
