import { humanSession } from './lib/describe.ts';
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

/**
 * A person (IAM user, console, Identity Center or SAML session) running arbitrary commands on
 * instances is high; the same from an automation role's session is medium. Severity is what the
 * noise model starts from: the usual person from the usual network, user agent and region drops a
 * step (digest), a new network or a first time stays a page; the usual automation role drops to the
 * daily summary (docs/detections.md, test/detections/ssm-remote-access.test.ts).
 */
const shellSeverity = (e: TrailEvent) => (humanSession(e) ? ('high' as const) : ('medium' as const));

const sendCommand: Judge = (e) => {
  const document = str(e.requestParameters?.['documentName']) ?? '?';
  const shell = SHELL_DOCUMENTS.has(document);
  const on = targets(e);
  const human = humanSession(e);
  return {
    severity: shell ? shellSeverity(e) : 'low',
    effect: `SSM ${document} ${shell ? 'shell command' : 'document'} sent to ${on.length === 1 ? on[0] : `${on.length} targets`}${shell && human ? ' by a person' : ''}`,
    details: { document, shellDocument: shell, targets: on, commandId: str(path(e.responseElements, 'command', 'commandId')), humanSession: human },
  };
};

const startSession: Judge = (e) => {
  const target = str(e.requestParameters?.['target']);
  const document = str(e.requestParameters?.['documentName']);
  const portForward = document !== undefined && /PortForwarding/i.test(document);
  const human = humanSession(e);
  return {
    severity: shellSeverity(e),
    effect: `${portForward ? `SSM port-forwarding session started (${document})` : 'SSM interactive shell session started'}${human ? ' by a person' : ''}`,
    ...(target ? { resource: target } : {}),
    details: { document: document ?? 'SSM-SessionManagerRunShell', sessionId: str(e.responseElements?.['sessionId']), humanSession: human },
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
    'SSM SendCommand with a document that runs arbitrary shell/PowerShell commands, and StartSession (interactive shell or port forwarding): high when a person does it (IAM user, console, Identity Center or SAML session), medium from an automation role\'s session. SendCommand with other documents (patching, inventory) is low. Both are everyday operations for automation and on-call engineers, so this detection depends on the noise model: the usual automation role from its usual place is routine (daily summary), the usual person from the usual network, user agent and region is a digest, and a person from a new network (or the first time) pages. Failed calls are ignored.',
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
