import { judgedDetect, matchesOf, type Judge, type JudgeTable } from './lib/judged.ts';
import { str } from './lib/values.ts';
import type { Detection, DetectionMeta } from './types.ts';

/**
 * AWS attaches `AWSCompromisedKeyQuarantine`, `…V2`, `…V3` (managed) or puts an inline policy of that
 * name when it finds an access key exposed in public (GitHub, paste sites). The name is AWS's.
 */
const QUARANTINE = /^AWSCompromisedKeyQuarantine/;

const quarantine =
  (kind: 'user' | 'role' | 'group', inline: boolean): Judge =>
  (e) => {
    const rp = e.requestParameters ?? {};
    const policy = inline ? str(rp['policyName']) : str(rp['policyArn'])?.split('/').pop();
    if (!policy || !QUARANTINE.test(policy)) return undefined;
    const target = str(rp[`${kind}Name`]);
    return {
      severity: 'high',
      effect: `AWS quarantined a leaked access key: ${policy} applied to ${kind} ${target ?? '?'}`,
      ...(target ? { resource: target } : {}),
      inherentRisk: 'AWS found this principal\'s access key exposed in public: treat the key as compromised',
      details: { quarantinePolicy: policy, target: { kind, name: target } },
    };
  };

const JUDGES: JudgeTable = {
  'iam.amazonaws.com': {
    AttachUserPolicy: quarantine('user', false),
    AttachRolePolicy: quarantine('role', false),
    AttachGroupPolicy: quarantine('group', false),
    PutUserPolicy: quarantine('user', true),
  },
};

export const meta: DetectionMeta = {
  id: 'compromised-key-quarantine',
  title: 'AWS flagged a leaked access key (AWSCompromisedKeyQuarantine applied)',
  severity: 'high',
  description:
    'AWS attached one of its AWSCompromisedKeyQuarantine policies (managed V1–V3, or the inline policy of that name) to a user, role or group. AWS does this only after finding the access key exposed in public, so this is a confirmed leak, not a routine policy change: high, whoever the caller appears to be. policy-changed also reports the attachment as a (restricting) policy change.',
  matches: matchesOf(JUDGES),
  references: {
    cis: [],
    securityHub: [],
    mitre: ['T1552.001', 'T1078.004'],
    stratus: [],
    urls: ['https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AWSCompromisedKeyQuarantineV3.html'],
  },
  runbook:
    'Deactivate and delete the exposed key now (do not just rely on the quarantine policy: it denies only some actions), read the AWS Support case, then review every call made with that key since it leaked and remove the public copy.',
  routine: { description: 'Never routine: AWS applies it only to keys it found exposed.', learnable: false },
};

export const detect = judgedDetect(meta, JUDGES);

export const detection: Detection = { ...meta, detect };
