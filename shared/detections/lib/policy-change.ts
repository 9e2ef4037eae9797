import type { EventMatch } from '../types.ts';
import type { TrailEvent } from '../../model/types.ts';
import { decodeDocument } from './policy-document.ts';
import { field, firstStr, isObject, path, str } from './values.ts';

/**
 * What a policy-changing API call did, read out of its CloudTrail record: which policy, on what, and
 * the new document when the record carries one. Pure and total: odd records give fewer fields, a
 * document that is not JSON gives `documentError`, nothing throws.
 */
export interface PolicyChange {
  kind: 'identity' | 'resource' | 'trust' | 'boundary' | 'scp' | 'rcp' | 'attachment' | 'detachment' | 'deletion' | 'version';
  /** The API action, e.g. `iam:PutRolePolicy`. */
  action: string;
  /** What the policy is on: `user`, `group`, `role`, `managed-policy`, `s3-bucket`, `kms-key`, `sns-topic`, `sqs-queue`, `lambda-function`, `secret`, `ecr-repository`, `opensearch-domain`, `organization-policy`, `organization-target`. */
  target: { type: string; name?: string; arn?: string };
  policyArn?: string;
  policyName?: string;
  /** Organizations policy type (`SERVICE_CONTROL_POLICY`, `RESOURCE_CONTROL_POLICY`) when known. */
  policyType?: string;
  /** The new document, parsed; absent when the call carries none (attach, delete...). */
  document?: unknown;
  /** Why the document in the record could not be parsed. */
  documentError?: string;
  /** For policy versions: whether the new version became the default (the one in force). */
  setAsDefault?: boolean;
  /** For boundaries: true when the boundary was removed rather than set. */
  removed?: boolean;
  /** Short service name, e.g. `iam`, `s3`, `organizations`. */
  service: string;
}

type Extractor = (event: TrailEvent, rp: Record<string, unknown>, re: Record<string, unknown>) => Omit<PolicyChange, 'action' | 'service'> | undefined;

function withDocument(change: Omit<PolicyChange, 'action' | 'service'>, raw: unknown): Omit<PolicyChange, 'action' | 'service'> {
  const decoded = decodeDocument(raw);
  if (!decoded) return change;
  return 'error' in decoded ? { ...change, documentError: decoded.error } : { ...change, document: decoded.document };
}

const iamEntity = (type: 'user' | 'group' | 'role', rp: Record<string, unknown>): PolicyChange['target'] => {
  const name = str(rp[`${type}Name`]);
  return name ? { type, name } : { type };
};

function inlinePut(type: 'user' | 'group' | 'role'): Extractor {
  return (_e, rp) => withDocument({ kind: 'identity', target: iamEntity(type, rp), ...opt('policyName', str(rp['policyName'])) }, rp['policyDocument']);
}
function inlineDelete(type: 'user' | 'group' | 'role'): Extractor {
  return (_e, rp) => ({ kind: 'deletion', target: iamEntity(type, rp), ...opt('policyName', str(rp['policyName'])) });
}
function attach(type: 'user' | 'group' | 'role', kind: 'attachment' | 'detachment'): Extractor {
  return (_e, rp) => ({ kind, target: iamEntity(type, rp), ...opt('policyArn', str(rp['policyArn'])), ...opt('policyName', lastSegment(str(rp['policyArn']))) });
}
function boundary(type: 'user' | 'role', removed: boolean): Extractor {
  return (_e, rp) => ({
    kind: 'boundary',
    target: iamEntity(type, rp),
    ...opt('policyArn', str(rp['permissionsBoundary'])),
    ...(removed ? { removed: true } : {}),
  });
}

/** `{}` or `{ key: value }`: keeps optional fields absent rather than `undefined`. */
function opt<K extends string, V>(key: K, value: V | undefined): Partial<Record<K, V>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, V>);
}

function lastSegment(arn: string | undefined): string | undefined {
  if (!arn) return undefined;
  const parts = arn.split('/');
  return parts[parts.length - 1] || undefined;
}

const managedPolicyTarget = (arn: string | undefined): PolicyChange['target'] =>
  arn ? { type: 'managed-policy', arn, ...opt('name', lastSegment(arn)) } : { type: 'managed-policy' };

const bucketTarget = (rp: Record<string, unknown>): PolicyChange['target'] => {
  const name = str(rp['bucketName']);
  return name ? { type: 's3-bucket', name, arn: `arn:aws:s3:::${name}` } : { type: 's3-bucket' };
};

/** SNS/SQS set attributes: a policy change only when the Policy attribute is set. */
const ORG_KINDS: Record<string, PolicyChange['kind']> = {
  SERVICE_CONTROL_POLICY: 'scp',
  RESOURCE_CONTROL_POLICY: 'rcp',
};
/** Organizations policy types that grant or deny nothing (tags, backups, opt-outs): not a permission change. */
const NON_PERMISSION_ORG_TYPES = new Set(['TAG_POLICY', 'BACKUP_POLICY', 'AISERVICES_OPT_OUT_POLICY', 'CHATBOT_POLICY', 'DECLARATIVE_POLICY_EC2']);

function orgCreateOrUpdate(_e: TrailEvent, rp: Record<string, unknown>, re: Record<string, unknown>): ReturnType<Extractor> {
  const summary = path(re, 'policy', 'policySummary');
  const type = str(rp['type']) ?? str(field(summary, 'type'));
  if (type && NON_PERMISSION_ORG_TYPES.has(type)) return undefined;
  const id = str(rp['policyId']) ?? str(field(summary, 'id'));
  const arn = str(field(summary, 'arn'));
  const name = str(rp['name']) ?? str(field(summary, 'name'));
  const target: PolicyChange['target'] = { type: 'organization-policy', ...opt('name', name ?? id), ...opt('arn', arn) };
  // An unknown type (odd record) is still reported, as an SCP: the permission-bearing case is the one to not miss.
  const kind: PolicyChange['kind'] = (type ? ORG_KINDS[type] : undefined) ?? 'scp';
  const change = { kind, target, ...opt('policyType', type), ...opt('policyArn', arn), ...opt('policyName', name) };
  return withDocument(change, rp['content'] ?? path(re, 'policy', 'content'));
}

function orgTargetChange(kind: 'attachment' | 'detachment' | 'deletion'): Extractor {
  return (_e, rp) => {
    const policyId = str(rp['policyId']);
    const targetId = str(rp['targetId']);
    const target: PolicyChange['target'] =
      kind === 'deletion' ? { type: 'organization-policy', ...opt('name', policyId) } : { type: 'organization-target', ...opt('name', targetId) };
    return { kind, target, ...opt('policyName', policyId) };
  };
}

const EXTRACTORS: Record<string, Record<string, Extractor>> = {
  'iam.amazonaws.com': {
    PutUserPolicy: inlinePut('user'),
    PutGroupPolicy: inlinePut('group'),
    PutRolePolicy: inlinePut('role'),
    DeleteUserPolicy: inlineDelete('user'),
    DeleteGroupPolicy: inlineDelete('group'),
    DeleteRolePolicy: inlineDelete('role'),
    AttachUserPolicy: attach('user', 'attachment'),
    AttachGroupPolicy: attach('group', 'attachment'),
    AttachRolePolicy: attach('role', 'attachment'),
    DetachUserPolicy: attach('user', 'detachment'),
    DetachGroupPolicy: attach('group', 'detachment'),
    DetachRolePolicy: attach('role', 'detachment'),
    CreatePolicy: (_e, rp, re) => {
      const arn = str(path(re, 'policy', 'arn'));
      const name = str(rp['policyName']);
      return withDocument({ kind: 'identity', target: managedPolicyTarget(arn), ...opt('policyArn', arn), ...opt('policyName', name) }, rp['policyDocument']);
    },
    DeletePolicy: (_e, rp) => {
      const arn = str(rp['policyArn']);
      return { kind: 'deletion', target: managedPolicyTarget(arn), ...opt('policyArn', arn), ...opt('policyName', lastSegment(arn)) };
    },
    CreatePolicyVersion: (_e, rp) => {
      const arn = str(rp['policyArn']);
      const setAsDefault = rp['setAsDefault'] === true || rp['setAsDefault'] === 'true';
      return withDocument({ kind: 'version', target: managedPolicyTarget(arn), ...opt('policyArn', arn), ...opt('policyName', lastSegment(arn)), setAsDefault }, rp['policyDocument']);
    },
    DeletePolicyVersion: (_e, rp) => {
      const arn = str(rp['policyArn']);
      return { kind: 'version', target: managedPolicyTarget(arn), ...opt('policyArn', arn), ...opt('policyName', lastSegment(arn)) };
    },
    SetDefaultPolicyVersion: (_e, rp) => {
      const arn = str(rp['policyArn']);
      return { kind: 'version', target: managedPolicyTarget(arn), ...opt('policyArn', arn), ...opt('policyName', lastSegment(arn)), setAsDefault: true };
    },
    UpdateAssumeRolePolicy: (_e, rp) => withDocument({ kind: 'trust', target: iamEntity('role', rp) }, rp['policyDocument']),
    CreateRole: (_e, rp, re) => {
      const arn = str(path(re, 'role', 'arn'));
      const target = { ...iamEntity('role', rp), ...opt('arn', arn) };
      return withDocument({ kind: 'trust', target }, rp['assumeRolePolicyDocument'] ?? path(re, 'role', 'assumeRolePolicyDocument'));
    },
    PutRolePermissionsBoundary: boundary('role', false),
    PutUserPermissionsBoundary: boundary('user', false),
    DeleteRolePermissionsBoundary: boundary('role', true),
    DeleteUserPermissionsBoundary: boundary('user', true),
  },
  's3.amazonaws.com': {
    PutBucketPolicy: (_e, rp) => withDocument({ kind: 'resource', target: bucketTarget(rp) }, rp['bucketPolicy'] ?? rp['policy']),
    DeleteBucketPolicy: (_e, rp) => ({ kind: 'deletion', target: bucketTarget(rp) }),
    PutBucketAcl: (_e, rp) => {
      const cannedAcl = firstStr(rp['x-amz-acl']);
      const grants = rp['AccessControlPolicy'];
      return { kind: 'resource', target: bucketTarget(rp), ...(grants !== undefined ? { document: grants } : cannedAcl ? { document: { cannedAcl } } : {}) };
    },
  },
  'kms.amazonaws.com': {
    PutKeyPolicy: (_e, rp) => {
      const keyId = str(rp['keyId']);
      const target = { type: 'kms-key', ...opt('name', keyId), ...(keyId?.startsWith('arn:') ? { arn: keyId } : {}) };
      return withDocument({ kind: 'resource', target, ...opt('policyName', str(rp['policyName'])) }, rp['policy']);
    },
  },
  'sns.amazonaws.com': {
    SetTopicAttributes: (_e, rp) => {
      if (str(rp['attributeName'])?.toLowerCase() !== 'policy') return undefined;
      const arn = str(rp['topicArn']);
      return withDocument({ kind: 'resource', target: { type: 'sns-topic', ...opt('arn', arn), ...opt('name', arn?.split(':').pop()) } }, rp['attributeValue']);
    },
    AddPermission: (_e, rp) => {
      const arn = str(rp['topicArn']);
      return { kind: 'resource', target: { type: 'sns-topic', ...opt('arn', arn), ...opt('name', arn?.split(':').pop()) }, document: { label: rp['label'], accounts: rp['aWSAccountId'] ?? rp['AWSAccountId'], actions: rp['actionName'] } };
    },
  },
  'sqs.amazonaws.com': {
    SetQueueAttributes: (_e, rp) => {
      const attributes = rp['attributes'];
      if (!isObject(attributes) || !('Policy' in attributes)) return undefined;
      const url = str(rp['queueUrl']);
      return withDocument({ kind: 'resource', target: { type: 'sqs-queue', ...opt('name', url?.split('/').pop()), ...opt('arn', url) } }, attributes['Policy']);
    },
    AddPermission: (_e, rp) => {
      const url = str(rp['queueUrl']);
      return { kind: 'resource', target: { type: 'sqs-queue', ...opt('name', url?.split('/').pop()), ...opt('arn', url) }, document: { label: rp['label'], accounts: rp['aWSAccountIds'] ?? rp['AWSAccountIds'], actions: rp['actions'] } };
    },
  },
  'lambda.amazonaws.com': {
    ...Object.fromEntries(
      ['AddPermission20150331', 'AddPermission20150331v2', 'AddPermission'].map((name): [string, Extractor] => [
        name,
        (_e, rp, re) => {
          const fn = str(rp['functionName']);
          const target = { type: 'lambda-function', ...opt('name', fn?.split(':').pop()), ...(fn?.startsWith('arn:') ? { arn: fn } : {}) };
          // The response carries the added statement as a JSON string; without it, keep the request's grant.
          const statement = re['statement'];
          if (statement !== undefined) return withDocument({ kind: 'resource', target }, statement);
          const grant = Object.fromEntries(['action', 'principal', 'sourceArn', 'sourceAccount', 'principalOrgID', 'functionUrlAuthType'].filter((k) => rp[k] !== undefined).map((k) => [k, rp[k]]));
          return { kind: 'resource', target, ...(Object.keys(grant).length > 0 ? { document: grant } : {}) };
        },
      ]),
    ),
  },
  'secretsmanager.amazonaws.com': {
    PutResourcePolicy: (_e, rp, re) => {
      const id = str(rp['secretId']) ?? str(re['name']);
      return withDocument({ kind: 'resource', target: { type: 'secret', ...opt('name', id), ...opt('arn', str(re['arn'])) } }, rp['resourcePolicy']);
    },
    DeleteResourcePolicy: (_e, rp, re) => {
      const id = str(rp['secretId']) ?? str(re['name']);
      return { kind: 'deletion', target: { type: 'secret', ...opt('name', id), ...opt('arn', str(re['arn'])) } };
    },
  },
  'ecr.amazonaws.com': {
    SetRepositoryPolicy: (_e, rp, re) =>
      withDocument({ kind: 'resource', target: { type: 'ecr-repository', ...opt('name', str(rp['repositoryName'])) } }, rp['policyText'] ?? re['policyText']),
    DeleteRepositoryPolicy: (_e, rp) => ({ kind: 'deletion', target: { type: 'ecr-repository', ...opt('name', str(rp['repositoryName'])) } }),
  },
  // OpenSearch (both the legacy Elasticsearch and the OpenSearch API names): the domain access policy.
  'es.amazonaws.com': Object.fromEntries(
    ['CreateDomain', 'CreateElasticsearchDomain', 'UpdateDomainConfig', 'UpdateElasticsearchDomainConfig'].map((name): [string, Extractor] => [
      name,
      (_e, rp) => {
        if (rp['accessPolicies'] === undefined) return undefined;
        return withDocument({ kind: 'resource', target: { type: 'opensearch-domain', ...opt('name', str(rp['domainName'])) } }, rp['accessPolicies']);
      },
    ]),
  ),
  'organizations.amazonaws.com': {
    CreatePolicy: orgCreateOrUpdate,
    UpdatePolicy: orgCreateOrUpdate,
    AttachPolicy: orgTargetChange('attachment'),
    DetachPolicy: orgTargetChange('detachment'),
    DeletePolicy: orgTargetChange('deletion'),
  },
};

/** The exact (eventSource, eventName) sets that can be policy changes: `policy-changed`'s EventBridge rule. */
export const POLICY_CHANGE_MATCHES: EventMatch[] = Object.entries(EXTRACTORS).map(([eventSource, byName]) => ({
  eventSource: [eventSource],
  eventName: Object.keys(byName).sort(),
}));

/**
 * Reads the policy change out of a CloudTrail record, or undefined when the event is not a policy
 * change (another event, an SNS/SQS attribute other than Policy, a tag/backup Organizations policy).
 * Does not look at `errorCode`: whether a failed attempt matters is the caller's decision.
 */
export function extractPolicyChange(event: TrailEvent): PolicyChange | undefined {
  const extractor = EXTRACTORS[event.source]?.[event.name];
  if (!extractor) return undefined;
  const change = extractor(event, event.requestParameters ?? {}, event.responseElements ?? {});
  if (!change) return undefined;
  const service = event.source.replace(/\.amazonaws\.com$/, '');
  const action = `${service}:${event.name.replace(/\d{8}(v\d+)?$/, '')}`;
  return { ...change, action, service } as PolicyChange;
}
