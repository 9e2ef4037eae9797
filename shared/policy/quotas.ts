import type { PolicyKind } from './types.ts';

/**
 * Size quotas per kind of policy, in the units AWS counts. IAM counts characters excluding
 * whitespace (managed 6,144; aggregate inline per user 2,048 / role 10,240 / group 5,120; role
 * trust policy 2,048 by default, raisable to 8,192). Organizations policies: 5,120 characters.
 * S3 bucket policies: 20 KB. KMS key policies: 32 KB. Session policies: 2,048 characters (packed).
 * Sources: IAM and STS quotas, Organizations quotas, S3 and KMS quotas pages of the AWS docs.
 */
export const POLICY_QUOTAS: Record<PolicyKind, { limit: number; unit: string; source: string }> = {
  identity: { limit: 6144, unit: 'non-whitespace characters', source: 'IAM managed policy size' },
  'aws-managed': { limit: Number.POSITIVE_INFINITY, unit: 'non-whitespace characters', source: 'AWS managed policies are written by AWS and exempt from the customer quota' },
  managed: { limit: 6144, unit: 'non-whitespace characters', source: 'IAM managed policy size' },
  boundary: { limit: 6144, unit: 'non-whitespace characters', source: 'IAM managed policy size (boundaries are managed policies)' },
  'inline-user': { limit: 2048, unit: 'non-whitespace characters', source: 'IAM aggregate inline policy size per user' },
  'inline-role': { limit: 10240, unit: 'non-whitespace characters', source: 'IAM aggregate inline policy size per role' },
  'inline-group': { limit: 5120, unit: 'non-whitespace characters', source: 'IAM aggregate inline policy size per group' },
  trust: { limit: 2048, unit: 'non-whitespace characters', source: 'IAM role trust policy length (default quota, raisable to 8,192)' },
  scp: { limit: 5120, unit: 'characters', source: 'AWS Organizations SCP document size' },
  rcp: { limit: 5120, unit: 'characters', source: 'AWS Organizations RCP document size' },
  session: { limit: 2048, unit: 'characters', source: 'STS session policy size' },
  resource: { limit: 20480, unit: 'bytes', source: 'S3 bucket policy size (generic resource policy default)' },
  's3-bucket': { limit: 20480, unit: 'bytes', source: 'S3 bucket policy size' },
  'kms-key': { limit: 32768, unit: 'bytes', source: 'KMS key policy size' },
};
