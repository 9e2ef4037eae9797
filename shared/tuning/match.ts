import type { Finding } from '../model/types.ts';
import { cidrContains, parseCidr } from '../policy/ip.ts';
import { matchWildcard } from '../policy/wildcard.ts';
import { expiryMs } from './semantics.ts';
import type { ActorEntry, FindingSelector, Suppression, TuningConfig } from './types.ts';

/**
 * True when a principal ARN pattern matches the finding's principal: its own ARN, or — for a role
 * session — its role's ARN, so `arn:aws:iam::111122223333:role/terraform-*` covers every session.
 */
export function principalMatches(pattern: string, principal: Finding['principal']): boolean {
  const candidates = [principal.arn, principal.sessionIssuerArn].filter((v): v is string => typeof v === 'string');
  if (pattern === '*') return true;
  return candidates.some((arn) => matchWildcard(pattern, arn));
}

/** True when the source address lies in one of the CIDRs (no networks declared: anywhere matches). */
export function networkMatches(networks: readonly string[] | undefined, sourceIp: string | undefined): boolean {
  if (!networks || networks.length === 0) return true;
  if (!sourceIp) return false;
  return networks.some((n) => {
    const cidr = parseCidr(n);
    return cidr !== undefined && cidrContains(cidr, sourceIp);
  });
}

/** Every field the selector gives must match the finding. */
export function selectorMatches(s: FindingSelector, f: Finding): boolean {
  if (s.detection !== '*' && s.detection !== f.detection) return false;
  if (s.principal !== undefined && !principalMatches(s.principal, f.principal)) return false;
  if (s.account !== undefined && s.account !== f.account) return false;
  if (s.eventName !== undefined && s.eventName !== f.eventName) return false;
  if (s.titleContains !== undefined && !f.title.includes(s.titleContains)) return false;
  return true;
}

/** Which declared actor (deployer or scanner) made the call, and whether from its declared networks. */
export function matchActor(actors: readonly ActorEntry[] | undefined, f: Finding): { actor: ActorEntry; inNetwork: boolean } | undefined {
  for (const actor of actors ?? []) {
    if (actor.principals.some((p) => principalMatches(p, f.principal))) return { actor, inNetwork: networkMatches(actor.networks, f.sourceIp) };
  }
  return undefined;
}

/** The first suppression matching the finding, split by whether it is still in force at `nowMs`. */
export function matchSuppression(config: TuningConfig, f: Finding, nowMs: number): { active?: Suppression; expired?: Suppression } {
  let expired: Suppression | undefined;
  for (const s of config.suppressions ?? []) {
    if (!selectorMatches(s, f)) continue;
    if (expiryMs(s.expires) >= nowMs) return { active: s };
    expired ??= s;
  }
  return expired ? { expired } : {};
}

/** Accounts the organization trusts: members, declared trusted accounts and vendors (by id). */
export function trustedAccountIds(config: TuningConfig): Map<string, string> {
  const out = new Map<string, string>();
  for (const a of config.organization?.accounts ?? []) out.set(a.id, `organization account ${a.name ?? a.id}`);
  for (const a of config.trustedAccounts ?? []) out.set(a.id, `trusted account ${a.name ?? a.id}`);
  return out;
}
