import { makeFinding, matchesEvent } from './finding.ts';
import { failed, who, where } from './lib/describe.ts';
import { looseBool } from '../model/normalize.ts';
import { asArray, field, path, str } from './lib/values.ts';
import type { Detection, DetectionMeta, Finding, Severity, TrailEvent } from './types.ts';

type Judge = (event: TrailEvent) => { severity: Severity; effect: string } | undefined;

const fixed =
  (severity: Severity, effect: string): Judge =>
  () => ({ severity, effect });

/** Per service and call: what it does to detection coverage, or undefined when it does not weaken it. */
const JUDGES: Record<string, Record<string, Judge>> = {
  'guardduty.amazonaws.com': {
    DeleteDetector: fixed('critical', 'GuardDuty detector deleted'),
    UpdateDetector: (e) => (looseBool(e.requestParameters?.['enable']) === false ? { severity: 'high', effect: 'GuardDuty detector disabled' } : undefined),
    DisassociateFromMasterAccount: fixed('high', 'account left its GuardDuty administrator'),
    DisassociateFromAdministratorAccount: fixed('high', 'account left its GuardDuty administrator'),
    DisassociateMembers: fixed('high', 'member accounts removed from GuardDuty'),
    DeleteMembers: fixed('high', 'member accounts removed from GuardDuty'),
    StopMonitoringMembers: fixed('high', 'GuardDuty stopped monitoring member accounts'),
    CreateIPSet: fixed('medium', 'trusted IP list added (GuardDuty ignores those addresses)'),
    UpdateIPSet: fixed('medium', 'trusted IP list changed (GuardDuty ignores those addresses)'),
    CreateFilter: (e) => (str(e.requestParameters?.['action']) === 'ARCHIVE' ? { severity: 'medium', effect: 'suppression rule auto-archives findings' } : undefined),
    UpdateFilter: (e) => (str(e.requestParameters?.['action']) === 'ARCHIVE' ? { severity: 'medium', effect: 'suppression rule auto-archives findings' } : undefined),
    DeletePublishingDestination: fixed('medium', 'GuardDuty findings export removed'),
    CreateThreatIntelSet: fixed('low', 'threat intel list added to GuardDuty'),
    UpdateThreatIntelSet: fixed('medium', 'GuardDuty threat intel list replaced (indicators can be dropped)'),
    DeleteThreatIntelSet: fixed('medium', 'GuardDuty threat intel list removed (GuardDuty stops alerting on those indicators)'),
  },
  'securityhub.amazonaws.com': {
    DisableSecurityHub: fixed('critical', 'Security Hub disabled'),
    BatchDisableStandards: fixed('high', 'Security Hub standards disabled'),
    DisassociateFromMasterAccount: fixed('high', 'account left its Security Hub administrator'),
    DisassociateFromAdministratorAccount: fixed('high', 'account left its Security Hub administrator'),
    DeleteInsight: fixed('low', 'Security Hub insight deleted'),
    UpdateInsight: fixed('low', 'Security Hub insight changed'),
    BatchUpdateFindings: (e) => {
      const status = str(path(e.requestParameters, 'Workflow', 'Status'));
      const count = asArray(e.requestParameters?.['FindingIdentifiers']).length;
      if (status === 'SUPPRESSED') return { severity: 'medium', effect: `${count} Security Hub finding(s) suppressed` };
      if (status === 'RESOLVED') return { severity: 'low', effect: `${count} Security Hub finding(s) marked resolved` };
      return undefined;
    },
    UpdateFindings: (e) =>
      str(e.requestParameters?.['RecordState']) === 'ARCHIVED'
        ? { severity: 'medium', effect: 'Security Hub findings archived' }
        : { severity: 'low', effect: 'Security Hub findings updated' },
  },
  'macie2.amazonaws.com': {
    DisableMacie: fixed('high', 'Macie disabled'),
    DisassociateFromAdministratorAccount: fixed('high', 'account left its Macie administrator'),
    UpdateMacieSession: (e) =>
      str(e.requestParameters?.['status']) === 'PAUSED'
        ? { severity: 'high', effect: 'Macie paused' }
        : { severity: 'low', effect: `Macie session changed${str(e.requestParameters?.['findingPublishingFrequency']) ? ` (findings published every ${String(e.requestParameters?.['findingPublishingFrequency']).toLowerCase().replace('_', ' ')})` : ''}` },
  },
  'macie.amazonaws.com': {
    UpdateMacieSession: fixed('low', 'Macie session changed'),
  },
  'access-analyzer.amazonaws.com': {
    DeleteAnalyzer: fixed('high', 'IAM Access Analyzer deleted'),
  },
  'inspector2.amazonaws.com': {
    Disable: fixed('high', 'Inspector disabled'),
  },
};

export const meta: DetectionMeta = {
  id: 'security-service-tampering',
  title: 'Security service disabled or blinded',
  severity: 'high',
  description:
    'A detective service is turned off or told to look away: GuardDuty detector deleted/disabled, members removed, trusted IP lists or auto-archive filters added, threat intel lists replaced or removed; Security Hub disabled, standards disabled, findings archived, suppressed (BatchUpdateFindings) or resolved, insights changed or deleted; Macie disabled or paused; IAM Access Analyzer deleted; Inspector disabled. Turning services on and routine settings are not reported (or low). Failed calls are ignored.',
  matches: Object.entries(JUDGES).map(([eventSource, byName]) => ({ eventSource: [eventSource], eventName: Object.keys(byName).sort() })),
  references: {
    cis: ['CIS 4.16 (v3.0): Security Hub is enabled'],
    securityHub: ['GuardDuty.1', 'SecurityHub.1'],
    mitre: ['T1562.001'],
  },
  runbook:
    'Re-enable the service or remove the suppression at once, then find who did it and why; treat findings that could have been hidden since as unreviewed.',
  routine: { description: 'Nobody: disabling GuardDuty, Security Hub, Macie, Access Analyzer or Inspector is never routine.', learnable: false },
};

/** Fires when a detective service is disabled, detached or made to ignore activity. */
export function detect(event: TrailEvent): Finding[] {
  if (!matchesEvent(meta, event) || failed(event)) return [];
  const verdict = JUDGES[event.source]?.[event.name]?.(event);
  if (!verdict) return [];
  const rp = event.requestParameters;
  const resource = str(rp?.['detectorId']) ?? str(rp?.['analyzerName']) ?? str(field(rp, 'name')) ?? str(path(rp, 'InsightArn')) ?? asArray(rp?.['accountIds']).map(String).join(', ');
  return [
    makeFinding(meta, event, {
      title: `${who(event)}: ${verdict.effect}${resource ? ` (${resource})` : ''} ${where(event)}`,
      severity: verdict.severity,
      details: { service: event.source.replace(/\.amazonaws\.com$/, ''), action: event.name, effect: verdict.effect, ...(resource ? { resource } : {}) },
    }),
  ];
}

export const detection: Detection = { ...meta, detect };
