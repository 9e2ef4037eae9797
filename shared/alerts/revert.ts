import type { Finding } from '../model/types.ts';
import { regionName } from '../model/region-name.ts';
import { defang } from './escape.ts';

/**
 * The AWS CLI command that undoes a policy change, for the alert's "to revert" line. Built only from
 * names that match IAM's / S3's own character sets and single-quoted for POSIX shells, so a crafted
 * policy or bucket name can never turn the suggested command into a different one; when a name does
 * not qualify, or the change cannot be undone without the previous document, there is no command.
 */
export interface RevertCommand {
  command: string;
  /** What the command does, and its caveat (e.g. it removes the whole inline policy). */
  note: string;
}

/** IAM user/role/group/policy names: `[\w+=,.@-]`, ≤ 128. ARNs add `:` and `/`. Bucket names: `[a-z0-9.-]`. */
const IAM_NAME = /^[\w+=,.@-]{1,128}$/;
const IAM_ARN = /^arn:aws[\w-]*:iam::(\d{12}|aws):policy\/[\w+=,.@/-]{1,512}$/;
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/**
 * Names that a mail client or chat would turn into a link (`www.x`, `a.example.com`, `bob@corp.com`)
 * get no command: the command must be exact, so it cannot be defanged, and a live link in an alert
 * is what an attacker choosing the name wants.
 */
function linkable(name: string): boolean {
  return defang(name) !== name || /@/.test(name);
}

/** POSIX single quotes (the checked names hold no quote, but quoting keeps `=,@` literal in every shell). */
function q(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

/** The revert command for a `policy-changed` finding, or undefined. */
export function revertCommand(finding: Finding): RevertCommand | undefined {
  if (finding.detection !== 'policy-changed') return undefined;
  const change = asRecord(finding.details?.['change']);
  if (!change) return undefined;
  const action = typeof change['action'] === 'string' ? change['action'] : '';
  const target = asRecord(change['target']) ?? {};
  const ok = (v: unknown, re: RegExp): v is string => typeof v === 'string' && re.test(v) && !linkable(v);
  const name = ok(target['name'], IAM_NAME) ? target['name'] : undefined;
  const policyName = ok(change['policyName'], IAM_NAME) ? change['policyName'] : undefined;
  const policyArn = ok(change['policyArn'], IAM_ARN) ? change['policyArn'] : undefined;
  const region = regionName(finding.region);
  const inline = /^iam:Put(User|Role|Group)Policy$/.exec(action);
  if (inline && name && policyName) {
    const kind = inline[1]!.toLowerCase();
    return {
      command: `aws iam delete-${kind}-policy --${kind}-name ${q(name)} --policy-name ${q(policyName)}`,
      note: `removes the inline policy ${policyName} this call wrote; if it replaced an older version, put that one back instead`,
    };
  }
  const attach = /^iam:Attach(User|Role|Group)Policy$/.exec(action);
  if (attach && name && policyArn) {
    const kind = attach[1]!.toLowerCase();
    return { command: `aws iam detach-${kind}-policy --${kind}-name ${q(name)} --policy-arn ${q(policyArn)}`, note: 'detaches the policy this call attached' };
  }
  const boundary = /^iam:Put(User|Role)PermissionsBoundary$/.exec(action);
  if (boundary && name) {
    const kind = boundary[1]!.toLowerCase();
    return { command: `aws iam delete-${kind}-permissions-boundary --${kind}-name ${q(name)}`, note: 'removes the boundary this call set; re-apply the previous boundary if there was one' };
  }
  if (action === 'iam:CreatePolicyVersion' && policyArn && change['setAsDefault'] === true) {
    return {
      command: `aws iam list-policy-versions --policy-arn ${q(policyArn)}  # then: aws iam set-default-policy-version --policy-arn ${q(policyArn)} --version-id <previous>`,
      note: 'the new version became the default; make the previous version the default again, then delete the new one',
    };
  }
  if (action === 's3:PutBucketPolicy' && ok(target['name'], BUCKET)) {
    return {
      command: `aws s3api delete-bucket-policy --bucket ${q(target['name'])}${region ? ` --region ${region}` : ''}`,
      note: 'removes the bucket policy this call set; if the bucket had one before, put that one back instead',
    };
  }
  return undefined;
}
