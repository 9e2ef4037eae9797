import { makeFinding, ANY } from './finding.ts';
import { where } from './lib/describe.ts';
import { AWS_IP_RANGES_DATE, networkOf } from './lib/aws-networks.ts';
import { str } from './lib/values.ts';
import type { Detection, DetectionMeta, Finding, TrailEvent } from './types.ts';
import { boundedMap, remember } from '../memo.ts';

/** EC2 names an instance role's session after the instance: `i-` + 8 or 17 hex digits. */
export const INSTANCE_SESSION = /^i-([0-9a-f]{8}|[0-9a-f]{17})$/;

export const meta: DetectionMeta = {
  id: 'instance-credentials-elsewhere',
  title: 'EC2 instance-role credentials used outside their instance\'s network',
  severity: 'high',
  description: `Calls made with an EC2 instance role's session (session name = instance id) from an address outside AWS's published ranges (the credentials left the instance: GuardDuty's InstanceCredentialExfiltration.OutsideAWS), or through a VPC endpoint owned by another account (used from another account's network). AWS ranges come from the dated snapshot shared/detections/data/aws-ip-ranges.json (createDate ${AWS_IP_RANGES_DATE}); private addresses (VPC endpoints) and AWS service names count as inside. Failed calls count too: stolen credentials are tried before they work.`,
  matches: [{ eventSource: [ANY], eventName: [ANY] }],
  references: {
    cis: [],
    securityHub: [],
    mitre: ['T1552.005', 'T1078.004'],
    stratus: [],
    urls: ['https://docs.aws.amazon.com/guardduty/latest/ug/guardduty_finding-types-iam.html#unauthorizedaccess-iam-instancecredentialexfiltrationoutsideaws'],
  },
  runbook:
    'Revoke the role\'s active sessions now (IAM console: role > Revoke active sessions, i.e. a deny on aws:TokenIssueTime), then find how the credentials left the instance (SSRF to the metadata service, a compromised host, leaked logs) and enforce IMDSv2. Review everything the session did from the outside address.',
  routine: { description: 'Never routine: instance credentials are meant to be used only from their instance.', learnable: false },
};

/**
 * The role session's name: what follows the first ':' of the principal id (`AROA…:i-0abc…`), up to
 * the next one, else the principal's name. Without `split`: this runs on every assumed-role event.
 */
function sessionOf(p: TrailEvent['principal']): string {
  const id = p.principalId;
  const from = id === undefined ? -1 : id.indexOf(':');
  if (id === undefined || from === -1) return p.name;
  const to = id.indexOf(':', from + 1);
  return to === -1 ? id.slice(from + 1) : id.slice(from + 1, to);
}

const MAX_INSTANCE_OF = 65_536;

/**
 * The instance id the principal's session is named after, or null. Asked for every assumed-role
 * event, so answered once per distinct principal id (`AROA…:session`; normalised events share one
 * copy of each string, so the look-up hashes nothing); a principal id without a session part
 * (the name decides then) is judged each time. Bounded: emptied when full.
 */
const INSTANCE_OF = boundedMap<string, string | null>(MAX_INSTANCE_OF);

function judgeSession(p: TrailEvent['principal']): string | null {
  const s = sessionOf(p);
  return INSTANCE_SESSION.test(s) ? s : null;
}

function instanceSessionOf(p: TrailEvent['principal']): string | null {
  const id = p.principalId;
  if (id === undefined || id.indexOf(':') === -1) return judgeSession(p);
  let session = INSTANCE_OF.get(id);
  if (session === undefined) {
    session = judgeSession(p);
    remember(INSTANCE_OF, id, session);
  }
  return session;
}

/** Fires when an instance-role session calls AWS from the internet or through another account's VPC endpoint. */
export function detect(event: TrailEvent): Finding[] {
  const p = event.principal;
  if (p.type !== 'AssumedRole' || p.invokedBy) return [];
  const session = instanceSessionOf(p);
  if (session === null) return [];
  const role = p.sessionIssuer?.userName ?? p.sessionIssuer?.arn ?? '?';
  const ownerAccount = p.sessionIssuer?.accountId ?? p.accountId;
  const endpointAccount = str(event.raw['vpcEndpointAccountId']);
  const network = networkOf(event.sourceIp);
  let how: string | undefined;
  if (network === 'internet') how = `from ${event.sourceIp}, outside AWS's networks`;
  else if (endpointAccount && ownerAccount && endpointAccount !== ownerAccount) how = `through VPC endpoint ${str(event.raw['vpcEndpointId']) ?? '?'} of account ${endpointAccount}`;
  if (!how) return [];
  const finding = makeFinding(meta, event, {
    title: `Instance credentials of ${session} (role ${role}) called ${event.name} ${how} ${where(event)}${event.errorCode ? ` — ${event.errorCode}` : ''}`,
    details: {
      instanceId: session,
      role,
      network,
      ...(endpointAccount ? { vpcEndpointAccountId: endpointAccount } : {}),
      awsIpRangesDate: AWS_IP_RANGES_DATE,
    },
  });
  finding.inherentRisk = 'instance-role credentials used away from their instance';
  return [finding];
}

export const detection: Detection = { ...meta, detect };
