import { ROUTES, type Finding, type Route, type Severity } from '../model/types.ts';
import type { NoveltyVerdict } from '../novelty/model.ts';
import { matchActor, trustedAccountIds } from '../tuning/match.ts';
import type { TuningConfig } from '../tuning/types.ts';

/** Where each severity goes before novelty and configuration are considered. */
export const BASE_ROUTE: Record<Severity, Route> = { critical: 'page', high: 'page', medium: 'digest', low: 'summary', info: 'record' };
/** The lowest a finding of this severity may be routed by routine and configuration (suppressions aside). */
const FLOOR: Record<Severity, Route> = { critical: 'page', high: 'summary', medium: 'record', low: 'record', info: 'record' };
/** The highest: low findings never page and are not posted singly (the low floor the issue asks for). */
const CEILING: Record<Severity, Route> = { critical: 'page', high: 'page', medium: 'page', low: 'summary', info: 'record' };

/** Rate detections (not in the one-event registry). */
const RATE_DETECTIONS = new Set(['api-rate-anomaly', 'api-error-rate-anomaly']);
/** Policy-engine results that are dangerous whoever grants them. */
const DANGEROUS_POLICY_RESULTS = new Set(['admin-access', 'privilege-escalation', 'public-access']);

export interface RouteInput {
  finding: Finding;
  tuning: TuningConfig;
  /** The novelty model's verdict; undefined when the model is off. */
  novelty?: NoveltyVerdict;
  /** False when the finding's detection says no history makes it routine (`routine.learnable: false`). */
  learnable: boolean;
  /**
   * Organization members known beyond the tuning file (deployed: the AWS Organizations directory),
   * trusted like `organization.accounts`, so the Lambda decides as replay does with those accounts listed.
   */
  members?: { has(account: string): boolean; nameOf?(account: string): string | undefined };
}

export interface RouteDecision {
  route: Route;
  /** One line, for the alert, the JSON output and the findings bus. */
  reason: string;
}

const rank = (r: Route): number => ROUTES.length - 1 - ROUTES.indexOf(r); // record 0 … page 3
const fromRank = (n: number): Route => ROUTES[ROUTES.length - 1 - Math.max(0, Math.min(3, n))] as Route;

/**
 * Why this finding is dangerous whatever its history: the detection's own `inherentRisk`, else what
 * the policy engine found (admin, escalation, public access), else a security group opening an
 * admin or database port to the internet (the only way that detection reaches high).
 */
export function inherentRiskOf(f: Finding): string | undefined {
  if (f.inherentRisk) return f.inherentRisk;
  const analysis = f.details['analysis'] as { findings?: Array<{ id?: unknown }> } | undefined;
  const dangerous = (Array.isArray(analysis?.findings) ? analysis.findings : []).map((x) => String(x?.id)).filter((id) => DANGEROUS_POLICY_RESULTS.has(id));
  if (dangerous.length > 0) return `the policy grants ${[...new Set(dangerous)].join(', ')}`;
  if (f.detection === 'security-group-changes' && f.severity === 'high') return 'an admin or database port opened to the internet';
  return undefined;
}

/**
 * Accounts a policy change newly trusts when every one of them is the organization's, a declared
 * trusted account or a declared vendor (with its ExternalId in the trust): then the cross-account
 * grant is expected. Returns the label, or undefined when some grant is foreign or there is none.
 */
function onlyTrustedGrants(f: Finding, tuning: TuningConfig, members?: RouteInput['members']): string | undefined {
  const analysis = f.details['analysis'] as { findings?: Array<{ id?: unknown; detail?: { accounts?: unknown; missingExternalId?: unknown } }> } | undefined;
  const results = Array.isArray(analysis?.findings) ? analysis.findings : [];
  const cross = results.filter((r) => r?.id === 'cross-account-access');
  if (cross.length === 0 || cross.length !== results.length) return undefined;
  const trusted = trustedAccountIds(tuning);
  const document = JSON.stringify(f.details['change'] ?? '');
  const labels = new Set<string>();
  for (const r of cross) {
    const accounts = Array.isArray(r.detail?.accounts) ? r.detail.accounts.map(String) : [];
    if (accounts.length === 0) return undefined;
    for (const account of accounts) {
      const known = trusted.get(account) ?? (members?.has(account) ? `organization account ${members.nameOf?.(account) ?? account}` : undefined);
      if (known) {
        labels.add(known);
        continue;
      }
      const vendor = tuning.vendors?.find((v) => v.account === account);
      if (!vendor) return undefined;
      if (vendor.externalId !== undefined && (r.detail?.missingExternalId === true || !document.includes(vendor.externalId))) return undefined;
      labels.add(`vendor ${vendor.name}`);
    }
  }
  return [...labels].join(', ');
}

/**
 * Decides where one finding goes, from its severity, its novelty and the configuration, and says
 * why in one line. Pure: the Lambda path and replay call it with the same inputs and get the same
 * answer. (Suppressions and detections turned off are handled before, by the router.)
 */
export function decideRoute(input: RouteInput): RouteDecision {
  const { finding: f, tuning, novelty } = input;
  const sev = f.severity;
  const notes: string[] = [sev];
  // Off-hours alone never pages but keeps a person's routine action out of the summary (at least a digest).
  let atLeast = 0;
  const finish = (n: number): RouteDecision => {
    const route = fromRank(Math.min(rank(CEILING[sev]), Math.max(rank(FLOOR[sev]), atLeast, n)));
    return { route, reason: `${notes.join('; ')} → ${route}` };
  };
  const base = rank(BASE_ROUTE[sev]);
  if (sev === 'critical') return finish(base);
  const inherent = inherentRiskOf(f) ?? (input.learnable ? undefined : `every ${f.detection} finding matters`);
  if (novelty?.novel) notes.push(`novel: ${novelty.reasons.join(', ')}`);
  const offHours = novelty?.offHours;
  if (offHours) notes.push(`outside this actor's usual hours ${offHours.usual} (at ${String(offHours.hour).padStart(2, '0')}:xx UTC)`);
  if (inherent) {
    notes.push(`dangerous in itself: ${inherent}`);
    return finish(base);
  }
  let steps = 0;
  const scanner = matchActor(tuning.scanners, f);
  if (scanner && scanner.inNetwork && RATE_DETECTIONS.has(f.detection)) {
    notes.push(`declared scanner ${scanner.actor.name}`);
    return { route: 'record', reason: `${notes.join('; ')} → record` };
  }
  const deployer = matchActor(tuning.deployers, f);
  if (deployer?.inNetwork) {
    notes.push(`declared deployer ${deployer.actor.name}`);
    steps -= 1;
  } else if (deployer) {
    notes.push(`declared deployer ${deployer.actor.name} OUTSIDE its networks (${f.sourceIp ?? 'no source IP'})`);
    steps += 1;
  }
  const trusted = onlyTrustedGrants(f, tuning, input.members);
  if (trusted) {
    notes.push(`grants only to ${trusted}`);
    return { route: 'record', reason: `${notes.join('; ')} → record` };
  }
  const nonProd = tuning.nonProductionAccounts?.find((a) => a.id === f.account);
  if (nonProd) {
    notes.push(`non-production account ${nonProd.name ?? nonProd.id}`);
    steps -= 1;
  }
  if (novelty && !novelty.novel) {
    notes.push(`routine: same actor, network, user agent and region seen ${novelty.seenBefore} time(s) before`);
    steps -= 1;
    if (offHours) atLeast = rank('digest');
  } else if (novelty?.novel && offHours) {
    // Something new, from a person, at an hour they never work: one step up (a medium finding pages).
    steps += 1;
  }
  return finish(base + steps);
}
