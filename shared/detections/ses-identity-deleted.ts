import { fixed, judgedDetect, matchesOf, type JudgeTable } from './lib/judged.ts';
import { str } from './lib/values.ts';
import type { Detection, DetectionMeta, TrailEvent } from './types.ts';

const identity = (e: TrailEvent) => str(e.requestParameters?.['identity']) ?? str(e.requestParameters?.['emailIdentity']);

const JUDGES: JudgeTable = {
  'ses.amazonaws.com': {
    DeleteIdentity: fixed('medium', 'SES sending identity deleted', identity),
    DeleteEmailIdentity: fixed('medium', 'SES sending identity deleted', identity),
  },
};

export const meta: DetectionMeta = {
  id: 'ses-identity-deleted',
  title: 'SES sending identity deleted',
  severity: 'medium',
  description:
    'An SES domain or e-mail identity was deleted (SES v1 DeleteIdentity, v2 DeleteEmailIdentity). Attackers who abuse SES for spam delete the identities they verified to cover their tracks; deleting a real identity stops the organization\'s mail. Failed calls are ignored.',
  matches: matchesOf(JUDGES),
  references: { cis: [], securityHub: [], mitre: ['T1070', 'T1485'], stratus: [] },
  runbook: 'Check whether the identity was ours and in use; re-verify it if so. Review SES sending statistics for abuse before the deletion.',
  routine: { description: 'Mail platform owners, rarely.', learnable: true },
};

export const detect = judgedDetect(meta, JUDGES);

export const detection: Detection = { ...meta, detect };
