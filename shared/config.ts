import type { DetectionContext } from './detections/types.ts';

/**
 * Deployment configuration, read once from the environment (serverless.yml sets it) and typed.
 * Handlers call `loadConfig()` at cold start; a missing or malformed value fails the cold start
 * with every problem listed, rather than failing later on the first finding.
 */
export interface TrailwatchConfig {
  stage: string;
  /** `<service>-<stage>`: prefix of every resource name in the stack. */
  stackName: string;
  /** SNS topic for alerts (one message per finding). */
  alertsTopicArn: string;
  /** Event bus receiving every finding as a "Trailwatch Finding" event. */
  findingsBusName: string;
  /** CloudWatch namespace of the Trailwatch metrics. */
  metricsNamespace: string;
  /** What detections need to recognise attacks on Trailwatch itself. */
  self: NonNullable<DetectionContext['self']>;
  /**
   * Accounts of our own AWS Organization declared by the deployment (TRAILWATCH_ORGANIZATION_ACCOUNTS,
   * comma list): grants to them are not foreign. Detect adds every account whose events it receives
   * (docs/organization.md), the same judgement replay makes.
   */
  organizationAccounts: string[];
  /** DynamoDB table holding the organization directory (organization mode; '' = none). */
  directoryTable: string;
  /** Also publish `Findings` per `Account` (TRAILWATCH_ACCOUNT_METRICS=true; organization mode: docs/organization.md). */
  accountMetrics: boolean;
  /**
   * The MFA-replacement window in minutes (TRAILWATCH_MFA_REPLACEMENT_MINUTES; the stack sets 15):
   * the rates function judges replacement (shared/mfa) and detect reports a user's MFA removal low
   * until then. Undefined (unset or 0): no judgement, every MFA removal pages at once.
   */
  mfaReplacementMinutes?: number;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Trailwatch configuration is invalid: ${problems.join('; ')}`);
    this.name = 'ConfigError';
  }
}

const SNS_TOPIC_ARN = /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$/;
const BUS_NAME = /^[A-Za-z0-9._\-/]{1,256}$/;
const NAMESPACE = /^[^:][^\s]{0,254}$/;

type Env = Record<string, string | undefined>;

/** Reads and validates the configuration; throws a ConfigError naming every bad variable. */
export function loadConfig(env: Env = process.env): TrailwatchConfig {
  const problems: string[] = [];
  const get = (name: string, pattern: RegExp | undefined, fallback?: string): string => {
    const value = env[name]?.trim() || fallback;
    if (value === undefined || value === '') {
      problems.push(`${name} is not set`);
      return '';
    }
    if (pattern && !pattern.test(value)) problems.push(`${name} is malformed: ${JSON.stringify(value)}`);
    return value;
  };
  const stage = get('TRAILWATCH_STAGE', /^[A-Za-z0-9-]+$/, 'dev');
  const stackName = get('TRAILWATCH_STACK_NAME', /^[A-Za-z0-9-]+$/, `trailwatch-${stage}`);
  const alertsTopicArn = get('TRAILWATCH_ALERTS_TOPIC_ARN', SNS_TOPIC_ARN);
  const findingsBusName = get('TRAILWATCH_FINDINGS_BUS_NAME', BUS_NAME);
  const metricsNamespace = get('TRAILWATCH_METRICS_NAMESPACE', NAMESPACE, 'Trailwatch');
  const topicArns = (env['TRAILWATCH_TOPIC_ARNS'] ?? alertsTopicArn)
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const arn of topicArns) if (!SNS_TOPIC_ARN.test(arn)) problems.push(`TRAILWATCH_TOPIC_ARNS has a malformed ARN: ${JSON.stringify(arn)}`);
  const organizationAccounts = (env['TRAILWATCH_ORGANIZATION_ACCOUNTS'] ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const id of organizationAccounts) if (!/^\d{12}$/.test(id)) problems.push(`TRAILWATCH_ORGANIZATION_ACCOUNTS has a malformed account id: ${JSON.stringify(id)}`);
  const directoryTable = env['TRAILWATCH_DIRECTORY_TABLE']?.trim() ?? '';
  const accountMetricsText = env['TRAILWATCH_ACCOUNT_METRICS']?.trim().toLowerCase() ?? '';
  if (!['', 'true', 'false'].includes(accountMetricsText)) problems.push(`TRAILWATCH_ACCOUNT_METRICS must be true or false: ${JSON.stringify(accountMetricsText)}`);
  const mfaText = env['TRAILWATCH_MFA_REPLACEMENT_MINUTES']?.trim() ?? '';
  const mfaMinutes = mfaText === '' ? 0 : Number(mfaText);
  if (!Number.isInteger(mfaMinutes) || mfaMinutes < 0 || mfaMinutes > 1440) problems.push(`TRAILWATCH_MFA_REPLACEMENT_MINUTES must be a whole number of minutes from 0 to 1440: ${JSON.stringify(mfaText)}`);
  if (problems.length > 0) throw new ConfigError(problems);
  return {
    organizationAccounts,
    directoryTable,
    accountMetrics: accountMetricsText === 'true',
    ...(mfaMinutes > 0 ? { mfaReplacementMinutes: mfaMinutes } : {}),
    stage,
    stackName,
    alertsTopicArn,
    findingsBusName,
    metricsNamespace,
    self: {
      stackName,
      functionNamePrefix: env['TRAILWATCH_FUNCTION_PREFIX']?.trim() || `${stackName}-`,
      ruleNamePrefix: env['TRAILWATCH_RULE_PREFIX']?.trim() || `${stackName}-`,
      topicArns,
    },
  };
}
