import { inherentlyRisky, makeFinding, matchesEvent } from './finding.ts';
import type { Detection, DetectionMeta, Finding, TrailEvent } from './types.ts';

export const meta: DetectionMeta = {
  id: 'root-signin',
  title: 'Root user console sign-in',
  severity: 'critical',
  description:
    'The root user signed in (or tried to) through the AWS console. Root should be locked away: any sign-in, successful or not, deserves a human look.',
  matches: [{ eventSource: ['signin.amazonaws.com'], eventName: ['ConsoleLogin'] }],
  references: {
    cis: ['CIS 1.7 (v3.0): eliminate use of the root user', 'CIS 3.3 (v1.2): log metric filter for root usage', 'CIS 4.3 (v1.4/v3.0): usage of the root account'],
    securityHub: ['CloudWatch.1'],
    mitre: ['T1078.004'],
  },
  runbook:
    'Confirm with the root credential owner that this was them and why. If not: reset the root password, rotate its MFA, check for root access keys, and review everything root did since this sign-in.',
  routine: { description: 'Nobody: root signs in only in break-glass drills.', learnable: false },
};

export function detect(event: TrailEvent): Finding[] {
  if (!matchesEvent(meta, event) || event.principal.type !== 'Root') return [];
  const outcome = event.responseElements?.['ConsoleLogin'] === 'Success' && !event.errorMessage ? 'success' : 'failure';
  const mfa = event.mfaUsed === true;
  const title =
    outcome === 'success'
      ? `Root user signed in to the console of ${event.account} ${mfa ? 'with' : 'WITHOUT'} MFA from ${event.sourceIp ?? 'an unknown IP'}`
      : `Failed root console sign-in to ${event.account} from ${event.sourceIp ?? 'an unknown IP'}`;
  return inherentlyRisky([
    makeFinding(meta, event, {
      title,
      // A failed attempt is still worth an alert (someone has the root e-mail), but a success is the incident.
      severity: outcome === 'success' ? 'critical' : 'high',
      details: { outcome, mfaUsed: mfa, ...(event.errorMessage ? { errorMessage: event.errorMessage } : {}) },
    }),
  ], 'root console sign-in');
}

export const detection: Detection = { ...meta, detect };
