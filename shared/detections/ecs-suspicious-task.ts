import { judgedDetect, matchesOf, type Judge, type JudgeTable } from './lib/judged.ts';
import { asArray, isObject, str } from './lib/values.ts';
import type { Detection, DetectionMeta, TrailEvent } from './types.ts';

/**
 * Container commands that steal the task role's credentials (the ECS credentials endpoint, or the
 * instance metadata service from a container) or mine cryptocurrency. Matched on the command,
 * entry point, environment and image of each container, case-insensitively.
 */
const CREDENTIAL_THEFT = /169\.254\.170\.2|AWS_CONTAINER_CREDENTIALS_(RELATIVE|FULL)_URI|169\.254\.169\.254\/latest\/meta-data\/iam/i;
const MINING = /\bxmrig\b|stratum\+(tcp|ssl|tls):\/\/|\bminerd\b|\bcpuminer\b|\blolminer\b|\bnbminer\b|\bt-rex\b|moneroocean|supportxmr|nanopool\.org|c3pool|hashvault\.pro|2miners\.com/i;

/** Every string a container definition or override runs with. */
function containerText(containers: unknown): string[] {
  const out: string[] = [];
  for (const c of asArray(containers).filter(isObject)) {
    for (const key of ['image', 'name']) {
      const v = str(c[key]);
      if (v) out.push(v);
    }
    for (const key of ['command', 'entryPoint']) for (const v of asArray(c[key])) if (str(v)) out.push(str(v) as string);
    for (const env of asArray(c['environment']).filter(isObject)) out.push(`${str(env['name']) ?? ''}=${str(env['value']) ?? ''}`);
  }
  return out;
}

function judgeContainers(texts: string[], what: string, resource: string | undefined) {
  const theft = texts.find((t) => CREDENTIAL_THEFT.test(t));
  const mining = texts.find((t) => MINING.test(t));
  if (!theft && !mining) return undefined;
  const effect = theft ? `${what} reads the task role's credentials from the metadata endpoint` : `${what} runs a cryptocurrency miner`;
  return {
    severity: 'high' as const,
    effect,
    ...(resource ? { resource } : {}),
    inherentRisk: theft ? 'a container that fetches its own role credentials by hand is exfiltrating them' : 'cryptomining in a container',
    details: { matched: (theft ?? mining ?? '').slice(0, 300) },
  };
}

const family = (e: TrailEvent) => str(e.requestParameters?.['family']);
const registered: Judge = (e) => judgeContainers(containerText(e.requestParameters?.['containerDefinitions']), 'task definition', family(e));
const launched: Judge = (e) => {
  const overrides = e.requestParameters?.['overrides'];
  const containers = isObject(overrides) ? overrides['containerOverrides'] : undefined;
  return judgeContainers(containerText(containers), 'task launched with a container override that', str(e.requestParameters?.['taskDefinition']));
};

const JUDGES: JudgeTable = {
  'ecs.amazonaws.com': { RegisterTaskDefinition: registered, RunTask: launched, StartTask: launched },
};

export const meta: DetectionMeta = {
  id: 'ecs-suspicious-task',
  title: 'ECS task that steals role credentials or mines',
  severity: 'high',
  description:
    'An ECS task definition was registered, or a task run/started with a container override, whose command, entry point, environment or image queries the container credentials endpoint (169.254.170.2, $AWS_CONTAINER_CREDENTIALS_RELATIVE_URI) or instance metadata credentials, or runs a known cryptocurrency miner or mining pool. Ordinary task definitions and launches (deploy pipelines do them all day) are not reported. Failed calls are ignored.',
  matches: matchesOf(JUDGES),
  references: { cis: [], securityHub: [], mitre: ['T1552.005', 'T1610', 'T1496.001'], stratus: [] },
  runbook:
    'Stop the task (`aws ecs stop-task`), deregister the task definition revision, and rotate the task role\'s sessions (revoke older sessions on the role). Find who registered it and what else that principal did.',
  routine: { description: 'Never: no deploy pipeline curls its own credentials endpoint or runs a miner.', learnable: false },
};

export const detect = judgedDetect(meta, JUDGES);

export const detection: Detection = { ...meta, detect };
