import { judgedDetect, matchesOf, type Judge, type JudgeTable } from './lib/judged.ts';
import { asArray, isObject, str } from './lib/values.ts';
import type { Detection, DetectionMeta } from './types.ts';

/**
 * One BatchGetSecretValue call returns up to 20 secrets. Named secrets (`secretIdList`) are how an
 * application loads its own configuration; a `filters` query ("every secret with this tag or name
 * prefix") is how a harvester sweeps an account, and it is what the Stratus detonation does.
 */
const batchRead: Judge = (e) => {
  const filters = asArray(e.requestParameters?.['filters']).filter(isObject);
  const ids = asArray(e.requestParameters?.['secretIdList']).map(str).filter((s): s is string => s !== undefined);
  if (filters.length > 0) {
    const described = filters.map((f) => `${str(f['key']) ?? '?'}=${asArray(f['values']).map(str).filter(Boolean).join(',')}`).join('; ');
    return { severity: 'medium', effect: 'secrets read in bulk by a filter query', resource: described, details: { filters: described } };
  }
  if (ids.length === 0) return undefined;
  return { severity: 'low', effect: `${ids.length} named secret${ids.length === 1 ? '' : 's'} read in one batch`, resource: ids.slice(0, 5).join(', '), details: { secretCount: ids.length } };
};

const JUDGES: JudgeTable = {
  'secretsmanager.amazonaws.com': { BatchGetSecretValue: batchRead },
};

export const meta: DetectionMeta = {
  id: 'secrets-batch-retrieval',
  title: 'Secrets Manager secrets read in bulk',
  severity: 'medium',
  description:
    'BatchGetSecretValue returned many secret values in one call: by a filter query (tag, name prefix, description: every matching secret, the harvesting pattern) as medium, by a list of named secrets as low. Bursts of single GetSecretValue calls are the API-rate detector\'s job. Failed calls are ignored.',
  matches: matchesOf(JUDGES),
  references: { cis: [], securityHub: [], mitre: ['T1555.006', 'T1552'], stratus: ['aws.credential-access.secretsmanager-batch-retrieve-secrets'] },
  runbook:
    'Ask the owner of the principal whether it loads secrets by filter. If not: treat every returned secret as exposed (rotate them), and revoke the session or key that made the call.',
  routine: { description: 'Applications and CI jobs that load their own named secrets at start; a filter query from a workload that always uses it becomes routine.', learnable: true },
};

export const detect = judgedDetect(meta, JUDGES);

export const detection: Detection = { ...meta, detect };
