import { fixed, judgedDetect, matchesOf, type Judge, type JudgeTable } from './lib/judged.ts';
import { str } from './lib/values.ts';
import type { Detection, DetectionMeta, TrailEvent } from './types.ts';

const instance = (e: TrailEvent) => str(e.requestParameters?.['instanceId']);
const keyName = (e: TrailEvent) => str(e.requestParameters?.['keyName']);

const instanceConnect: Judge = (e) => ({
  severity: 'low',
  effect: `SSH key pushed with EC2 Instance Connect for OS user ${str(e.requestParameters?.['instanceOSUser']) ?? '?'}`,
  ...(instance(e) ? { resource: instance(e) } : {}),
});

const serialConsoleKey: Judge = (e) => ({
  severity: 'medium',
  effect: `SSH key pushed to the EC2 serial console (port ${typeof e.requestParameters?.['serialPort'] === 'number' ? e.requestParameters['serialPort'] : 0}; bypasses security groups and the network)`,
  ...(instance(e) ? { resource: instance(e) } : {}),
});

const JUDGES: JudgeTable = {
  'ec2-instance-connect.amazonaws.com': { SendSSHPublicKey: instanceConnect, SendSerialConsoleSSHPublicKey: serialConsoleKey },
  'ec2.amazonaws.com': {
    EnableSerialConsoleAccess: fixed('medium', 'EC2 serial console access enabled for the account (console access that no security group can block)'),
    CreateKeyPair: fixed('low', 'EC2 key pair created', keyName),
    ImportKeyPair: fixed('low', 'EC2 key pair imported (an outside private key can now log in to new instances)', keyName),
  },
};

export const meta: DetectionMeta = {
  id: 'ec2-remote-access-keys',
  title: 'SSH access to instances: Instance Connect, serial console, key pairs',
  severity: 'low',
  description:
    'EC2 Instance Connect SendSSHPublicKey (low: routine for teams that use it), serial console SSH keys and enabling serial console access for the account (medium: out-of-band access no security group blocks), and key pairs created or imported (low). Failed calls are ignored.',
  matches: matchesOf(JUDGES),
  references: {
    cis: [],
    securityHub: [],
    mitre: ['T1021.004', 'T1098.004'],
    stratus: ['aws.lateral-movement.ec2-instance-connect', 'aws.lateral-movement.ec2-serial-console-send-ssh-public-key'],
  },
  runbook:
    'Confirm with the instance owner. If unexpected: check the instance for sessions and new authorized keys, disable serial console access (`aws ec2 disable-serial-console-access`), delete unknown key pairs.',
  routine: { description: 'Engineers who use Instance Connect push keys daily; serial console and key imports are rare.', learnable: true },
};

export const detect = judgedDetect(meta, JUDGES);

export const detection: Detection = { ...meta, detect };
