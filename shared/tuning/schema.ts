import { SEVERITIES } from '../model/types.ts';

/**
 * JSON Schema (draft 2020-12 subset that Ajv validates) of the tuning file. Kept as data so
 * `trailwatch config validate`, the Lambda cold start and replay all check the same rules, and so
 * editors can be pointed at it.
 */
const accountId = { type: 'string', pattern: '^\\d{12}$', description: 'a 12-digit AWS account id' };
const account = {
  type: 'object',
  additionalProperties: false,
  required: ['id'],
  properties: { id: accountId, name: { type: 'string', minLength: 1, maxLength: 128 } },
};
const orgAccount = {
  type: 'object',
  additionalProperties: false,
  required: ['id'],
  properties: {
    id: accountId,
    name: { type: 'string', minLength: 1, maxLength: 128 },
    ou: { type: 'string', minLength: 1, maxLength: 1024, pattern: '^[^/]+(/[^/]+)*$', description: 'an OU path of names from below the root, such as Workloads/Prod' },
  },
};
const ouSelector = { type: 'string', minLength: 1, maxLength: 1024, pattern: '^((ou-[a-z0-9]{4,32}-[a-z0-9]{8,32})|(r-[a-z0-9]{4,32})|([^/]+(/[^/]+)*))$', description: 'an OU id (ou-…), the root (r-…) or an OU path of names (Workloads/Prod)' };
const ssmParameterName = { type: 'string', minLength: 2, maxLength: 2048, pattern: '^/[A-Za-z0-9_.\\-/]+$', description: 'an SSM parameter name under the notifier team prefix, such as /trailwatch/teams/payments' };
const principalPattern = { type: 'string', minLength: 1, maxLength: 2048, pattern: '^(arn:aws[a-z-]*:(iam|sts)::(\\d{12}|\\*):|\\*$)', description: 'an IAM/STS ARN pattern; * and ? are wildcards' };
const cidr = { type: 'string', pattern: '^[0-9a-fA-F:.]+/\\d{1,3}$', description: 'a CIDR such as 203.0.113.0/24' };
const actor = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'principals'],
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 128 },
    principals: { type: 'array', minItems: 1, items: principalPattern },
    networks: { type: 'array', minItems: 1, items: cidr },
  },
};
const selector = {
  detection: { type: 'string', minLength: 1, maxLength: 128, pattern: '^([a-z0-9-]+|\\*)$' },
  principal: principalPattern,
  account: accountId,
  eventName: { type: 'string', minLength: 1, maxLength: 128 },
  titleContains: { type: 'string', minLength: 1, maxLength: 512 },
};
// Region names are checked by shape in the semantic checks (semantics.ts), which can say what to write instead.
const regionList = { type: 'array', minItems: 1, items: { type: 'string', minLength: 1, maxLength: 64 } };
const isoDate = '^\\d{4}-\\d{2}-\\d{2}([T ]\\d{2}:\\d{2}(:\\d{2}(\\.\\d+)?)?(Z|[+-]\\d{2}:\\d{2})?)?$';

export const TUNING_SCHEMA = {
  $id: 'https://trailwatch.dev/schema/tuning-v1.json',
  type: 'object',
  additionalProperties: false,
  required: ['version'],
  properties: {
    version: { const: 1 },
    organization: {
      type: 'object',
      additionalProperties: false,
      properties: {
        id: { type: 'string', pattern: '^o-[a-z0-9]{10,32}$' },
        accounts: { type: 'array', items: orgAccount },
      },
    },
    routing: {
      type: 'object',
      additionalProperties: false,
      properties: {
        teams: {
          type: 'array',
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['name', 'slackWebhookParameter'],
            properties: {
              name: { type: 'string', minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9._-]+$' },
              accounts: { type: 'array', minItems: 1, items: accountId },
              ous: { type: 'array', minItems: 1, items: ouSelector },
              slackWebhookParameter: ssmParameterName,
            },
          },
        },
      },
    },
    trustedAccounts: { type: 'array', items: account },
    nonProductionAccounts: { type: 'array', items: account },
    deployers: { type: 'array', items: actor },
    scanners: { type: 'array', items: actor },
    vendors: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'account'],
        properties: {
          name: { type: 'string', minLength: 1, maxLength: 128 },
          account: accountId,
          externalId: { type: 'string', minLength: 2, maxLength: 1224 },
        },
      },
    },
    suppressions: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['id', 'detection', 'reason', 'owner', 'expires'],
        properties: {
          id: { type: 'string', pattern: '^[A-Za-z0-9._-]{1,64}$' },
          ...selector,
          reason: { type: 'string', minLength: 3, maxLength: 1024 },
          owner: { type: 'string', minLength: 1, maxLength: 256 },
          expires: { type: 'string', pattern: isoDate },
        },
      },
    },
    severityOverrides: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['detection', 'severity'],
        properties: { ...selector, severity: { enum: [...SEVERITIES] }, reason: { type: 'string', maxLength: 1024 } },
      },
    },
    approvedRegions: {
      type: 'object',
      additionalProperties: false,
      properties: {
        regions: regionList,
        accounts: {
          type: 'array',
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['id', 'regions'],
            properties: { id: accountId, name: { type: 'string', minLength: 1, maxLength: 128 }, regions: regionList },
          },
        },
      },
    },
    detections: {
      type: 'object',
      propertyNames: { pattern: '^[a-z0-9-]+$' },
      additionalProperties: {
        type: 'object',
        additionalProperties: false,
        required: ['enabled'],
        properties: { enabled: { type: 'boolean' }, reason: { type: 'string', maxLength: 1024 } },
      },
    },
  },
} as const;
