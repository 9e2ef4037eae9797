import { makeFinding } from '../detections/finding.ts';
import type { Finding, Severity } from '../model/types.ts';
import { NEW_API_FOR_PRINCIPAL, SIGNIN_FROM_NEW_LOCATION, UNUSUAL_ROLE_ASSUMPTION } from './behaviours.ts';
import type { Observation } from './observations.ts';
import type { Judgement } from './profile.ts';

const days = (ms: number) => Math.max(0, Math.floor(ms / 86_400_000));

function historyOf(o: Observation, j: Judgement): Record<string, unknown> {
  return { observations: j.history.observations, knownValues: j.history.values, since: new Date(j.history.sinceMs).toISOString(), days: days(o.event.timeMs - j.history.sinceMs) };
}

function roleFinding(o: Observation, j: Judgement): Finding {
  const f = o.facts as { roleArn: string; roleName: string; roleAccount: string; assumer: string; assumerType: string; assumerAccount?: string; crossAccount: boolean; privilegedRole: boolean };
  let severity: Severity = 'low';
  if (f.crossAccount && f.privilegedRole) severity = 'high';
  else if (f.crossAccount || f.privilegedRole || f.assumerType === 'SAML provider' || f.assumerType === 'OIDC provider') severity = 'medium';
  if (f.assumerType === 'AWS service' && !f.privilegedRole) severity = 'low';
  const from = f.crossAccount ? ` from account ${f.assumerAccount}` : '';
  const finding = makeFinding(UNUSUAL_ROLE_ASSUMPTION, o.event, {
    title: `${f.privilegedRole ? 'Privileged role' : 'Role'} ${f.roleName} in ${f.roleAccount} was assumed by ${f.assumer}${from}, which had not assumed it in ${days(o.event.timeMs - j.history.sinceMs)} days of history`,
    severity,
    details: { ...f, history: historyOf(o, j) },
  });
  if (severity === 'high') finding.inherentRisk = `a new account (${f.assumerAccount}) assumed privileged role ${f.roleName}`;
  return finding;
}

function apiFinding(o: Observation, j: Judgement): Finding {
  const f = o.facts as { principalKey: string; api: string; sensitive: boolean; readOnly: boolean };
  return makeFinding(NEW_API_FOR_PRINCIPAL, o.event, {
    title: `${f.principalKey} called ${o.event.name} (${o.event.source}) for the first time in ${days(o.event.timeMs - j.history.sinceMs)} days of history`,
    severity: f.sensitive ? 'medium' : 'low',
    details: { ...f, history: historyOf(o, j) },
  });
}

function signinFinding(o: Observation, j: Judgement): Finding {
  const f = o.facts as { person: string; network: string; country?: string };
  const newCountry = j.novel.some((v) => v.startsWith('c:'));
  const severity: Severity = newCountry ? 'high' : f.country ? 'low' : 'medium';
  const where = newCountry ? `a new country (${f.country}, network ${f.network})` : `a new network (${f.network}${f.country ? `, in ${f.country}, a known country` : ', country unknown'})`;
  const finding = makeFinding(SIGNIN_FROM_NEW_LOCATION, o.event, {
    title: `${o.event.principal.name} signed in to the console of ${o.event.account} from ${where}`,
    severity,
    details: { ...f, newCountry, newNetwork: j.novel.includes(`n:${f.network}`), history: historyOf(o, j) },
  });
  if (newCountry) finding.inherentRisk = `console sign-in from a country this person never signed in from (${f.country})`;
  return finding;
}

/** The finding for an observation whose judgement found new values. */
export function baselineFinding(o: Observation, j: Judgement): Finding {
  if (o.behaviour === 'unusual-role-assumption') return roleFinding(o, j);
  if (o.behaviour === 'new-api-for-principal') return apiFinding(o, j);
  return signinFinding(o, j);
}
