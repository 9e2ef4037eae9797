import { makeFinding, matchesEvent } from './finding.ts';
import { failed, who } from './lib/describe.ts';
import { asArray, field, isObject, path, str } from './lib/values.ts';
import type { Detection, DetectionMeta, Finding, Severity, TrailEvent } from './types.ts';

/** Lifecycle expirations this short destroy data (or logs) before anyone looks at them. */
export const SHORT_EXPIRATION_DAYS = 7;

export const meta: DetectionMeta = {
  id: 's3-bucket-config-changes',
  title: 'S3 bucket protection changed',
  severity: 'low',
  description:
    'The rest of the CIS "S3 bucket policy changes" list (CORS, lifecycle, replication; bucket policy and ACL are policy-changed) plus the controls an attacker switches off before stealing or destroying data: Block Public Access removed or weakened (high/medium), server access logging disabled, versioning suspended or MFA delete disabled (medium), lifecycle rules expiring objects within 7 days (medium). Turning protections on is not reported. Failed calls are ignored.',
  matches: [
    {
      eventSource: ['s3.amazonaws.com'],
      eventName: [
        'DeleteBucketCors',
        'DeleteBucketLifecycle',
        'DeleteBucketPublicAccessBlock',
        'DeleteBucketReplication',
        'PutBucketCors',
        'PutBucketLifecycle',
        'PutBucketLogging',
        'PutBucketPublicAccessBlock',
        'PutBucketReplication',
        'PutBucketVersioning',
      ],
    },
  ],
  references: {
    cis: ['CIS 3.8 (v1.2): S3 bucket policy changes', 'CIS 4.8 (v1.4/v3.0): S3 bucket policy changes'],
    securityHub: ['CloudWatch.8', 'S3.1', 'S3.8'],
    mitre: ['T1562.008', 'T1485', 'T1537'],
  },
  runbook:
    'Check the bucket and the change with its owner. Re-enable Block Public Access, logging or versioning if they were switched off unexpectedly, and review object access since the change.',
  routine: { description: 'IaC deploy roles setting lifecycle, CORS and replication on buckets they manage.' },
};

interface Verdict {
  severity: Severity;
  effect: string;
}

const PAB_FLAGS = ['BlockPublicAcls', 'IgnorePublicAcls', 'BlockPublicPolicy', 'RestrictPublicBuckets'];

/** Decides what the call did; undefined when it only strengthened a control (nothing to report). */
export function judgeBucketChange(event: TrailEvent): Verdict | undefined {
  const rp = event.requestParameters ?? {};
  switch (event.name) {
    case 'DeleteBucketPublicAccessBlock':
      return { severity: 'high', effect: 'Block Public Access removed' };
    case 'PutBucketPublicAccessBlock': {
      const config = rp['PublicAccessBlockConfiguration'];
      if (!isObject(config)) return { severity: 'low', effect: 'Block Public Access configuration changed (settings not logged)' };
      const off = PAB_FLAGS.filter((f) => config[f] === false || config[f] === 'false');
      return off.length > 0 ? { severity: 'medium', effect: `Block Public Access weakened: ${off.join(', ')} off` } : undefined;
    }
    case 'PutBucketLogging': {
      const status = rp['BucketLoggingStatus'];
      return isObject(status) && status['LoggingEnabled'] !== undefined ? undefined : { severity: 'medium', effect: 'server access logging disabled' };
    }
    case 'PutBucketVersioning': {
      const config = rp['VersioningConfiguration'];
      const status = str(field(config, 'Status'));
      const mfaDelete = str(field(config, 'MfaDelete'));
      const off = [status && status !== 'Enabled' ? `versioning ${status.toLowerCase()}` : undefined, mfaDelete === 'Disabled' ? 'MFA delete disabled' : undefined].filter(
        (x): x is string => x !== undefined,
      );
      return off.length > 0 ? { severity: 'medium', effect: off.join(', ') } : undefined;
    }
    case 'PutBucketLifecycle': {
      const rules = asArray(path(rp, 'LifecycleConfiguration', 'Rule')).filter(isObject);
      const short = rules.filter((r) => {
        const days = Number(path(r, 'Expiration', 'Days') ?? path(r, 'NoncurrentVersionExpiration', 'NoncurrentDays'));
        return str(r['Status']) === 'Enabled' && Number.isFinite(days) && days <= SHORT_EXPIRATION_DAYS;
      });
      return short.length > 0
        ? { severity: 'medium', effect: `lifecycle rule deletes objects within ${SHORT_EXPIRATION_DAYS} days (${short.map((r) => str(r['ID']) ?? 'unnamed').join(', ')})` }
        : { severity: 'low', effect: 'lifecycle configuration changed' };
    }
    case 'PutBucketReplication':
      return { severity: 'medium', effect: 'replication configured (objects are copied elsewhere)' };
    default:
      return { severity: 'low', effect: `${event.name.replace(/^(Put|Delete)Bucket/, (_m, verb: string) => (verb === 'Put' ? 'set ' : 'removed '))}` };
  }
}

/** Fires when a bucket's CIS-listed configuration changes or one of its protections is switched off. */
export function detect(event: TrailEvent): Finding[] {
  if (!matchesEvent(meta, event) || failed(event)) return [];
  const verdict = judgeBucketChange(event);
  if (!verdict) return [];
  const bucket = str(event.requestParameters?.['bucketName']) ?? 'an unknown bucket';
  return [
    makeFinding(meta, event, {
      title: `${who(event)} changed bucket ${bucket} in ${event.account}: ${verdict.effect}`,
      severity: verdict.severity,
      details: { bucket, action: event.name, effect: verdict.effect },
    }),
  ];
}

export const detection: Detection = { ...meta, detect };
