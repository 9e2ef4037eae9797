import { makeFinding, matchesEvent } from './finding.ts';
import type { Detection, DetectionMeta, Finding, TrailEvent } from './types.ts';

export const meta: DetectionMeta = {
  id: 'console-auth-failures',
  title: 'Failed console sign-in',
  severity: 'low',
  description:
    'A console sign-in failed for a non-root principal (CIS "console authentication failures"). One failure is routine; repeated failures are what matter, and the rate detector counts them. Root failures belong to root-signin.',
  matches: [{ eventSource: ['signin.amazonaws.com'], eventName: ['ConsoleLogin'] }],
  references: {
    cis: ['CIS 3.6 (v1.2): console authentication failures', 'CIS 4.6 (v1.4/v3.0): console authentication failures'],
    securityHub: ['CloudWatch.6'],
    mitre: ['T1110'],
  },
  runbook:
    'Check whether the user mistyped their password (ask them). Many failures for one user or from one IP mean password guessing: block the IP, make sure MFA is on, and consider resetting the password.',
  routine: { description: 'People mistyping passwords, from their usual networks and browsers.' },
};

/** Fires on every failed non-root ConsoleLogin. */
export function detect(event: TrailEvent): Finding[] {
  if (!matchesEvent(meta, event) || event.principal.type === 'Root') return [];
  const result = event.responseElements?.['ConsoleLogin'];
  const isFailure = result === 'Failure' || (result !== 'Success' && event.errorMessage !== undefined);
  if (!isFailure) return [];
  const user = event.principal.userName ?? event.principal.name;
  return [
    makeFinding(meta, event, {
      title: `Failed console sign-in for ${user} to ${event.account} from ${event.sourceIp ?? 'an unknown IP'}`,
      details: { user, ...(event.errorMessage ? { errorMessage: event.errorMessage } : {}) },
    }),
  ];
}

export const detection: Detection = { ...meta, detect };
