import { makeFinding, matchesEvent } from './finding.ts';
import { failed, who, where } from './lib/describe.ts';
import { path, str } from './lib/values.ts';
import type { Detection, DetectionMeta, Finding, Severity, TrailEvent } from './types.ts';

/** Calls that stop or remove recording: Config goes blind. */
const BLINDING = new Set(['StopConfigurationRecorder', 'DeleteConfigurationRecorder', 'DeleteDeliveryChannel', 'DeleteConfigurationAggregator', 'DeleteServiceLinkedConfigurationRecorder']);

export const meta: DetectionMeta = {
  id: 'config-changes',
  title: 'AWS Config configuration changed',
  severity: 'medium',
  description:
    'AWS Config recording or delivery was changed, stopped or deleted (CIS "AWS Config configuration changes": StopConfigurationRecorder, DeleteDeliveryChannel, PutDeliveryChannel, PutConfigurationRecorder, plus the deletions the CIS list omits, and the removal of Config rules and conformance packs — the checks that would flag later changes). Stopping or deleting recording is high: it hides later changes. Failed calls are ignored.',
  matches: [
    {
      eventSource: ['config.amazonaws.com'],
      eventName: [
        'DeleteConfigRule',
        'DeleteConfigurationAggregator',
        'DeleteConfigurationRecorder',
        'DeleteConformancePack',
        'DeleteDeliveryChannel',
        'DeleteOrganizationConfigRule',
        'DeleteOrganizationConformancePack',
        'DeleteServiceLinkedConfigurationRecorder',
        'PutConfigurationRecorder',
        'PutDeliveryChannel',
        'StopConfigurationRecorder',
      ],
    },
  ],
  references: {
    cis: ['CIS 3.9 (v1.2): AWS Config configuration changes', 'CIS 4.9 (v1.4/v3.0): AWS Config configuration changes'],
    securityHub: ['CloudWatch.9'],
    mitre: ['T1562.008'],
  },
  runbook:
    'If recording was stopped or deleted unexpectedly, restart it (`aws configservice start-configuration-recorder`) and review what changed while it was off. For Put* calls, check the recorder still records all resources and delivers to the expected bucket.',
  routine: { description: 'The Control Tower / landing-zone baseline role keeping the recorder and delivery channel configured.' },
};

/** Fires on every successful Config recorder/delivery change; stopping or deleting is high. */
export function detect(event: TrailEvent): Finding[] {
  if (!matchesEvent(meta, event) || failed(event)) return [];
  const rp = event.requestParameters;
  const name =
    str(rp?.['configurationRecorderName']) ??
    str(rp?.['deliveryChannelName']) ??
    str(path(rp, 'configurationRecorder', 'name')) ??
    str(path(rp, 'deliveryChannel', 'name')) ??
    str(rp?.['configurationAggregatorName']) ??
    str(rp?.['configRuleName']) ??
    str(rp?.['conformancePackName']) ??
    str(rp?.['organizationConfigRuleName']) ??
    str(rp?.['organizationConformancePackName']);
  const blinding = BLINDING.has(event.name);
  const severity: Severity = blinding ? 'high' : 'medium';
  return [
    makeFinding(meta, event, {
      title: `${who(event)} ran ${event.name}${name ? ` on ${name}` : ''} ${where(event)}${blinding ? ': AWS Config stops recording or delivering' : ''}`,
      severity,
      details: { action: event.name, ...(name ? { name } : {}), stopsRecording: blinding },
    }),
  ];
}

export const detection: Detection = { ...meta, detect };
