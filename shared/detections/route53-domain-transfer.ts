import { fixed, judgedDetect, matchesOf, type JudgeTable } from './lib/judged.ts';
import { str } from './lib/values.ts';
import type { Detection, DetectionMeta, TrailEvent } from './types.ts';

const domain = (e: TrailEvent) => str(e.requestParameters?.['domainName']);
const HIJACK = 'a registered domain can be moved out of the organization';

const JUDGES: JudgeTable = {
  'route53domains.amazonaws.com': {
    DisableDomainTransferLock: fixed('high', 'domain transfer lock disabled', domain, HIJACK),
    TransferDomainToAnotherAwsAccount: (e) => ({
      severity: 'critical',
      effect: `domain transfer to AWS account ${str(e.requestParameters?.['accountId']) ?? '?'} started`,
      ...(domain(e) ? { resource: domain(e) } : {}),
      inherentRisk: HIJACK,
      details: { toAccount: str(e.requestParameters?.['accountId']) },
    }),
    RetrieveDomainAuthCode: fixed('high', 'domain auth code retrieved (needed to transfer the domain to another registrar)', domain, HIJACK),
  },
};

export const meta: DetectionMeta = {
  id: 'route53-domain-transfer',
  title: 'Route 53 domain transfer lock disabled or transfer started',
  severity: 'high',
  description:
    'Route 53 Domains: transfer lock disabled or the auth code retrieved (high), or a transfer to another AWS account started (critical). A domain moved away takes mail, sign-in and websites with it. Failed calls are ignored.',
  matches: matchesOf(JUDGES),
  references: { cis: [], securityHub: [], mitre: ['T1584.001', 'T1098'], stratus: [] },
  runbook:
    'Re-enable the lock (`aws route53domains enable-domain-transfer-lock`), cancel a pending transfer (`cancel-domain-transfer-to-another-aws-account`), and treat the caller as compromised unless a registrar move was planned.',
  routine: { description: 'Almost never: registrar moves are planned, once-in-years events.', learnable: false },
};

export const detect = judgedDetect(meta, JUDGES);

export const detection: Detection = { ...meta, detect };
