import { humanSession } from './lib/describe.ts';
import { judgedDetect, matchesOf, type Judge, type JudgeTable } from './lib/judged.ts';
import { path, str, strings } from './lib/values.ts';
import { selfTarget } from './trail-tampering.ts';
import type { Detection, DetectionMeta, TrailEvent } from './types.ts';

const fn = (e: TrailEvent) => str(e.responseElements?.['functionName']) ?? str(e.requestParameters?.['functionName'])?.split(':').pop();

/** Trailwatch's own functions are trail-tampering's (critical); reporting them here too would double-alert. */
const notSelf =
  (judge: Judge): Judge =>
  (e, context) =>
    selfTarget(e, context) ? undefined : judge(e, context);

/**
 * Code replaced by a person (IAM user, console or SSO session): deploy pipelines' role sessions
 * replace code many times a day and are not reported (zero-config judgement, docs/detections.md).
 */
const codeUpdated: Judge = (e) =>
  humanSession(e) ? { severity: 'low', effect: 'Lambda function code replaced by hand (not by a deploy pipeline)', resource: fn(e), details: { codeSha256: str(e.responseElements?.['codeSha256']) } } : undefined;

/** UpdateFunctionConfiguration matters here only when it sets layers (code, or an extension that sees every invocation). */
const layersSet: Judge = (e) => {
  if (!e.requestParameters || !('layers' in e.requestParameters)) return undefined;
  const layers = strings(e.requestParameters['layers']);
  if (layers.length === 0) return undefined;
  const foreign = layers.filter((l) => l.split(':')[4] !== e.account);
  // The account's own layers set by a pipeline are a deploy; a layer from another account is not.
  if (foreign.length === 0 && !humanSession(e)) return undefined;
  return {
    severity: foreign.length > 0 ? 'medium' : 'low',
    effect: `Lambda layers set (${layers.length}${foreign.length > 0 ? `, ${foreign.length} from another account` : ''}): layer code and extensions run inside every invocation`,
    resource: fn(e),
    details: { layers, foreignLayers: foreign },
  };
};

const functionUrl: Judge = (e) => {
  const auth = str(e.requestParameters?.['authType']) ?? str(e.responseElements?.['authType']);
  if (auth !== 'NONE') return undefined;
  const url = str(e.responseElements?.['functionUrl']);
  return {
    severity: 'high',
    effect: 'Lambda function URL with AuthType NONE: anyone on the internet can invoke it',
    resource: fn(e),
    inherentRisk: 'public, unauthenticated function URL',
    details: { authType: auth, ...(url ? { functionUrl: url } : {}), cors: path(e.requestParameters, 'cors') !== undefined },
  };
};

const JUDGES: JudgeTable = {
  'lambda.amazonaws.com': {
    UpdateFunctionCode20150331v2: notSelf(codeUpdated),
    UpdateFunctionConfiguration20150331v2: notSelf(layersSet),
    CreateFunctionUrlConfig20211031: notSelf(functionUrl),
    UpdateFunctionUrlConfig20211031: notSelf(functionUrl),
  },
};

export const meta: DetectionMeta = {
  id: 'lambda-code-changes',
  title: 'Lambda code, layers or public function URL changed',
  severity: 'low',
  description:
    'On any function that is not Trailwatch\'s own (those are trail-tampering\'s, critical): code replaced or own-account layers set by a person — IAM user, console or SSO session (low; deploy pipelines\' role sessions do this all day and are not reported), a layer from another account set by anyone (medium), and a function URL created or changed with AuthType NONE (high: unauthenticated internet access). Resource-policy grants (AddPermission) are judged by policy-changed. Failed calls are ignored.',
  matches: matchesOf(JUDGES),
  references: {
    cis: [],
    securityHub: ['Lambda.1'],
    mitre: ['T1525', 'T1546', 'T1190'],
    stratus: ['aws.persistence.lambda-overwrite-code', 'aws.persistence.lambda-layer-extension'],
  },
  runbook:
    'Compare the change with the function\'s deploy pipeline. If unexpected: roll back to the previous version or alias, remove unknown layers, delete a public function URL (`aws lambda delete-function-url-config`) and check the function\'s logs for invocations since.',
  routine: { description: 'CI/CD deploy roles replace code and layers many times a day; humans rarely do.', learnable: true },
};

export const detect = judgedDetect(meta, JUDGES);

export const detection: Detection = { ...meta, detect };
