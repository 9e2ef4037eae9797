import { fixed, judgedDetect, matchesOf, type Judge, type JudgeTable } from './lib/judged.ts';
import { str, strings } from './lib/values.ts';
import { selfTarget } from './trail-tampering.ts';
import type { Detection, DetectionMeta, TrailEvent } from './types.ts';

const ruleName = (e: TrailEvent) => str(e.requestParameters?.['name']);

/** Any EventBridge rule but Trailwatch's own (trail-tampering reports those as critical). */
const eventRule =
  (effect: string): Judge =>
  (e, context) =>
    selfTarget(e, context) ? undefined : { severity: 'low', effect, ...(ruleName(e) ? { resource: ruleName(e) } : {}) };

const alarms: Judge = (e) => {
  const names = strings(e.requestParameters?.['alarmNames']);
  return { severity: 'medium', effect: `${e.name === 'DeleteAlarms' ? 'CloudWatch alarms deleted' : 'CloudWatch alarm actions disabled'}: ${names.join(', ') || '?'}`, details: { alarmNames: names } };
};

const webAcl = (e: TrailEvent) => str(e.requestParameters?.['name']) ?? str(e.requestParameters?.['webACLId']) ?? str(e.requestParameters?.['id']);

const JUDGES: JudgeTable = {
  'logs.amazonaws.com': {
    DeleteLogGroup: fixed('medium', 'CloudWatch log group deleted (its logs are gone)', (e) => str(e.requestParameters?.['logGroupName'])),
  },
  'monitoring.amazonaws.com': { DeleteAlarms: alarms, DisableAlarmActions: alarms },
  'events.amazonaws.com': {
    DisableRule: eventRule('EventBridge rule disabled'),
    DeleteRule: eventRule('EventBridge rule deleted'),
  },
  'wafv2.amazonaws.com': {
    DeleteWebACL: fixed('high', 'WAF web ACL deleted (the application loses its filtering)', webAcl),
    DisassociateWebACL: fixed('high', 'WAF web ACL detached from a resource (it is no longer filtered)', (e) => str(e.requestParameters?.['resourceArn'])),
    DeleteRuleGroup: fixed('medium', 'WAF rule group deleted', webAcl),
  },
  'waf.amazonaws.com': {
    DeleteWebACL: fixed('high', 'WAF Classic web ACL deleted', webAcl),
    DeleteRule: fixed('medium', 'WAF Classic rule deleted', (e) => str(e.requestParameters?.['ruleId'])),
    DeleteRuleGroup: fixed('medium', 'WAF Classic rule group deleted', (e) => str(e.requestParameters?.['ruleGroupId'])),
  },
  'waf-regional.amazonaws.com': { DeleteWebACL: fixed('high', 'WAF Classic (regional) web ACL deleted', webAcl) },
};

export const meta: DetectionMeta = {
  id: 'monitoring-tampering',
  title: 'Logs, alarms, event rules or WAF removed',
  severity: 'medium',
  description:
    'CloudWatch log groups deleted, alarms deleted or their actions disabled (medium); any EventBridge rule disabled or deleted (low — Trailwatch\'s own rules are trail-tampering\'s, critical); WAF web ACLs deleted or detached from their resource (high), WAF rules and rule groups deleted (medium). Failed calls are ignored.',
  matches: matchesOf(JUDGES),
  references: {
    cis: [],
    securityHub: [],
    mitre: ['T1562.008', 'T1562.001', 'T1070'],
    stratus: [],
  },
  runbook:
    'Recreate what was removed from IaC (log groups lose their data for good: check the trail and other copies), re-enable alarm actions, and ask the caller why. Deleted WAF ACLs leave the application unfiltered: restore first, investigate second.',
  routine: { description: 'IaC deploys delete and recreate rules, alarms and log groups of short-lived stacks.', learnable: true },
};

export const detect = judgedDetect(meta, JUDGES);

export const detection: Detection = { ...meta, detect };
