import { failed } from './lib/describe.ts';
import { judgedDetect, matchesOf, type Judge, type JudgeTable } from './lib/judged.ts';
import { str } from './lib/values.ts';
import type { Detection, DetectionMeta, TrailEvent } from './types.ts';

const instance = (e: TrailEvent) => str(e.requestParameters?.['instanceId']);
const denied = (e: TrailEvent) => failed(e) && /Unauthorized|AccessDenied/i.test(e.errorCode ?? '');

/** ModifyInstanceAttribute carrying userData: the script runs as root at the next (re)start. */
const modifyUserData: Judge = (e) => {
  if (failed(e) || !e.requestParameters || !('userData' in e.requestParameters)) return undefined;
  return { severity: 'medium', effect: 'EC2 user data replaced (runs as root when the instance next starts)', resource: instance(e) };
};

/** DescribeInstanceAttribute userData: user data often holds secrets. Denied reads are reconnaissance too. */
const readUserData: Judge = (e) => {
  if (str(e.requestParameters?.['attribute']) !== 'userData') return undefined;
  if (failed(e) && !denied(e)) return undefined;
  return { severity: 'low', effect: denied(e) ? 'tried to read EC2 user data (denied)' : 'EC2 user data read (often holds secrets)', resource: instance(e) };
};

/** GetPasswordData: the encrypted Windows administrator password. */
const passwordData: Judge = (e) => {
  if (failed(e) && !denied(e)) return undefined;
  return { severity: 'low', effect: denied(e) ? 'tried to retrieve the Windows administrator password (denied)' : 'Windows administrator password data retrieved', resource: instance(e) };
};

const JUDGES: JudgeTable = {
  'ec2.amazonaws.com': {
    ModifyInstanceAttribute: modifyUserData,
    DescribeInstanceAttribute: readUserData,
    GetPasswordData: passwordData,
  },
};

export const meta: DetectionMeta = {
  id: 'ec2-instance-secrets',
  title: 'EC2 user data changed or read, Windows password retrieved',
  severity: 'medium',
  description:
    'ModifyInstanceAttribute with userData (code execution as root at the next start: medium); DescribeInstanceAttribute of userData and GetPasswordData (secrets and the Windows administrator password: low). Denied reads are reported too (low): a principal probing instances for secrets is reconnaissance; bursts of them are also the error-rate detector\'s job. Other attributes and other errors are not reported.',
  matches: matchesOf(JUDGES),
  references: {
    cis: [],
    securityHub: [],
    mitre: ['T1059.009', 'T1552.005', 'T1552', 'T1580'],
    stratus: ['aws.execution.ec2-user-data', 'aws.discovery.ec2-download-user-data', 'aws.credential-access.ec2-get-password-data'],
  },
  runbook:
    'For a user-data change: read the new script (`aws ec2 describe-instance-attribute --attribute userData`) before the instance restarts and restore the previous one if unexpected. For reads: check whether the caller normally manages these instances; rotate secrets kept in user data.',
  routine: { description: 'Launch-template pipelines and instance owners edit user data; the console reads it when someone opens the instance settings.', learnable: true },
};

export const detect = judgedDetect(meta, JUDGES, { judgeFailures: true });

export const detection: Detection = { ...meta, detect };
