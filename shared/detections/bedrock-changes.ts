import { fixed, judgedDetect, matchesOf, type JudgeTable } from './lib/judged.ts';
import { str } from './lib/values.ts';
import type { Detection, DetectionMeta, TrailEvent } from './types.ts';

const model = (e: TrailEvent) => str(e.requestParameters?.['modelId']);
const guardrail = (e: TrailEvent) => str(e.requestParameters?.['guardrailIdentifier']) ?? str(e.requestParameters?.['name']);

const JUDGES: JudgeTable = {
  'bedrock.amazonaws.com': {
    DeleteModelInvocationLoggingConfiguration: fixed('high', 'Bedrock model-invocation logging removed (prompts and responses are no longer recorded)', undefined, 'model invocations stop being logged'),
    DeleteGuardrail: fixed('medium', 'Bedrock guardrail deleted', guardrail),
    UpdateGuardrail: fixed('low', 'Bedrock guardrail changed', guardrail),
    PutFoundationModelEntitlement: fixed('medium', 'Bedrock foundation-model access requested (LLMjacking starts here)', model),
    PutUseCaseForModelAccess: fixed('medium', 'Bedrock model-access use case submitted'),
    CreateFoundationModelAgreement: fixed('medium', 'Bedrock foundation-model agreement accepted', model),
  },
};

export const meta: DetectionMeta = {
  id: 'bedrock-changes',
  title: 'Bedrock logging or guardrails removed, model access enabled',
  severity: 'medium',
  description:
    'Bedrock model-invocation logging deleted (high), guardrails deleted (medium) or changed (low), and foundation-model access enabled (entitlement, use-case form, agreement: medium) — stolen keys are used to enable expensive models and resell access ("LLMjacking"). Invocations themselves are the rate detector\'s. Failed calls are ignored.',
  matches: matchesOf(JUDGES),
  references: {
    cis: [],
    securityHub: [],
    mitre: ['T1496', 'T1562.008', 'T1562.001'],
    stratus: ['aws.impact.bedrock-invoke-model'],
    urls: ['https://sysdig.com/blog/llmjacking-stolen-cloud-credentials-used-in-new-ai-attack/'],
  },
  runbook:
    'Confirm the team that owns generative-AI use. If unexpected: restore invocation logging, revoke model access, deactivate the credentials used and check Bedrock spend in every region.',
  routine: { description: 'ML platform teams enable models and tune guardrails occasionally.', learnable: true },
};

export const detect = judgedDetect(meta, JUDGES);

export const detection: Detection = { ...meta, detect };
