import { judgedDetect, matchesOf, type Judge, type JudgeTable } from './lib/judged.ts';
import { asArray, path, str, strings } from './lib/values.ts';
import type { Detection, DetectionMeta, TrailEvent } from './types.ts';

/** Documents that run arbitrary commands given as parameters (AWS-owned). */
const SHELL_DOCUMENTS = new Set(['AWS-RunShellScript', 'AWS-RunPowerShellScript', 'AWS-RunRemoteScript', 'AWS-RunSaltState', 'AWS-RunAnsiblePlaybook']);

function targets(e: TrailEvent): string[] {
  const ids = strings(e.requestParameters?.['instanceIds']);
  const tagTargets = asArray(e.requestParameters?.['targets']).map((t) => `${str(path(t, 'key')) ?? '?'}=${strings(path(t, 'values')).join(',')}`);
  return [...ids, ...tagTargets];
}

const sendCommand: Judge = (e) => {
  const document = str(e.requestParameters?.['documentName']) ?? '?';
  const shell = SHELL_DOCUMENTS.has(document);
  const on = targets(e);
  return {
    severity: shell ? 'medium' : 'low',
    effect: `SSM ${document} ${shell ? 'shell command' : 'document'} sent to ${on.length === 1 ? on[0] : `${on.length} targets`}`,
    details: { document, shellDocument: shell, targets: on, commandId: str(path(e.responseElements, 'command', 'commandId')) },
  };
};

const startSession: Judge = (e) => {
  const target = str(e.requestParameters?.['target']);
  const document = str(e.requestParameters?.['documentName']);
  const portForward = document !== undefined && /PortForwarding/i.test(document);
  return {
    severity: 'medium',
    effect: portForward ? `SSM port-forwarding session started (${document})` : 'SSM interactive shell session started',
    ...(target ? { resource: target } : {}),
    details: { document: document ?? 'SSM-SessionManagerRunShell', sessionId: str(e.responseElements?.['sessionId']) },
  };
};

const JUDGES: JudgeTable = {
  'ssm.amazonaws.com': { SendCommand: sendCommand, StartSession: startSession },
};

export const meta: DetectionMeta = {
  id: 'ssm-remote-access',
  title: 'Command or shell session on instances through SSM',
  severity: 'medium',
  description:
    'SSM SendCommand (medium for documents that run arbitrary shell/PowerShell commands, low for other documents such as patching) and StartSession (interactive shell or port forwarding: medium). Both are everyday operations for automation and on-call engineers, so this detection depends on the noise model: the usual automation role is routine; a human at an odd hour or from a new network is not. Failed calls are ignored.',
  matches: matchesOf(JUDGES),
  references: {
    cis: [],
    securityHub: [],
    mitre: ['T1651', 'T1021.007', 'T1059'],
    stratus: ['aws.execution.ssm-send-command', 'aws.execution.ssm-start-session', 'aws.credential-access.ec2-steal-instance-credentials'],
  },
  runbook:
    'Check the caller against who normally operates these instances. If unexpected: read the command output (`aws ssm get-command-invocation`) or the session log, terminate the session, and isolate the instance if the command fetched credentials or installed anything.',
  routine: { description: 'Patch and deploy automation roles run documents on schedules; on-call engineers open sessions during incidents.', learnable: true },
};

export const detect = judgedDetect(meta, JUDGES);

export const detection: Detection = { ...meta, detect };
