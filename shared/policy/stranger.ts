/**
 * The facts a requester cannot choose, for the resource-side witness searches: a STRANGER (an
 * account nobody named, outside the zone of trust) and a named FOREIGN account. Keys such as
 * `aws:PrincipalOrgID`, `aws:SourceVpce` or `kms:CallerAccount` are facts about the requester, so
 * the search may only give them the values such a requester really has (its own fresh account, no
 * or a fresh organization, its own VPC…); every other condition key stays free for the search.
 * A value built from a policy pattern counts as the stranger's only when the pattern's wildcard
 * lands in the part that says who owns it (the account of an ARN, the owner of a GitHub repository).
 */
import { cidrFirstAddress, instantiatePattern } from './candidates.ts';
import type { Candidate } from './candidates.ts';
import { parseArn } from './arn.ts';
import type { ProviderProfile } from './federated.ts';
import type { FreshValues } from './fresh.ts';
import { parseCidr } from './ip.ts';
import type { Policy } from './types.ts';

/** Literal condition values per lower-cased key, over every statement of the policy. */
export function literalsByKey(policy: Policy): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const s of policy.statements) {
    for (const c of s.conditions) {
      const k = c.key.toLowerCase();
      out.set(k, [...(out.get(k) ?? []), ...c.values]);
    }
  }
  return out;
}

/** Fills an account field that has wildcards with digits of `account` (12 digits in all). */
function fillAccount(field: string, account: string): string {
  if (!/[*?]/.test(field)) return field;
  const literal = field.replace(/[*?]/g, '').length + (field.match(/\?/g)?.length ?? 0);
  const need = Math.max(0, 12 - literal);
  let used = false;
  return field.replace(/\?/g, '7').replace(/\*/g, () => {
    if (used) return '';
    used = true;
    return account.slice(12 - need);
  });
}

/** ARNs built from the patterns that the party owning `account` (or a fresh name) could own. */
export function ownedArns(patterns: readonly string[], account: string, token: string, excluded: ReadonlySet<string>): string[] {
  const out: string[] = [];
  for (const p of patterns) {
    if (!/[*?]/.test(p)) continue;
    const arn = parseArn(p);
    if (!arn) continue;
    const acct = fillAccount(arn.account, account);
    const value = `arn:${/[*?]/.test(arn.partition) ? 'aws' : arn.partition}:${instantiatePattern(arn.service, token)}:${/^[*?]+$/.test(arn.region) ? 'us-east-1' : instantiatePattern(arn.region, token)}:${acct}:${instantiatePattern(arn.resource, token)}`;
    const owner = acct !== '' ? acct : (instantiatePattern(arn.resource, token).split(/[/:]/)[0] as string);
    if (excluded.has(owner)) continue;
    if (owner === account || owner.includes(token) || (acct !== '' && acct !== arn.account)) out.push(value);
  }
  return out;
}

export interface PartyOptions {
  policy: Policy;
  fresh: FreshValues;
  /** The requester's account. */
  account: string;
  /** The resource owner's account. */
  owner: string;
  /** The owner's organization (zone of trust), or a fresh stand-in when unknown. */
  ownerOrg: string;
  /** Accounts that are not the requester's (owner, trusted, named). */
  excluded: ReadonlySet<string>;
  /** Organizations the requester may belong to besides none or a fresh one (named foreign orgs). */
  orgs?: string[];
  /** Federated principal: the provider's identity claims become requester facts. */
  provider?: ProviderProfile;
}

/** Requester facts for a party (a stranger when `orgs` is empty), as candidate lists per lower-cased key. */
export function partyFacts(o: PartyOptions): Map<string, Candidate[]> {
  const literals = literalsByKey(o.policy);
  const token = o.fresh.token('stranger');
  const org = o.fresh.org('stranger');
  const m = new Map<string, Candidate[]>();
  const orgs: Candidate[] = [undefined, [org], ...(o.orgs ?? []).map((x) => [x])];
  m.set('aws:principalorgid', orgs);
  m.set('aws:sourceorgid', orgs);
  const paths: Candidate[] = [undefined, [`${org}/r-${token}/ou-${token}/`], ...(o.orgs ?? []).map((x) => [`${x}/r-${token}/ou-${token}/`])];
  m.set('aws:principalorgpaths', paths);
  m.set('aws:sourceorgpaths', paths);
  m.set('aws:sourceaccount', [undefined, [o.account]]);
  m.set('aws:sourceowner', [undefined, [o.account]]);
  m.set('s3:dataaccesspointaccount', [undefined, [o.account]]);
  m.set('kms:calleraccount', [[o.account]]);
  m.set('aws:resourceaccount', [[o.owner]]);
  m.set('aws:resourceorgid', [[o.ownerOrg]]);
  m.set('aws:sourcevpc', [undefined, [`vpc-${token}`]]);
  m.set('aws:sourcevpce', [undefined, [`vpce-${token}`]]);
  m.set('aws:sourcevpcarn', [undefined, [`arn:aws:ec2:us-east-1:${o.account}:vpc/vpc-${token}`]]);
  const cidrs = (literals.get('aws:sourceip') ?? []).map(parseCidr).filter((c) => c !== undefined);
  // A range wider than /8 (IPv6 /16) is reachable by strangers: its first address is a stranger's too.
  const broad = cidrs.filter((c) => c.prefix < (c.family === 4 ? 8 : 16)).map(cidrFirstAddress);
  const ip = o.fresh.ipv4(cidrs);
  m.set('aws:sourceip', [undefined, ...(ip ? [[ip]] : []), ...broad.map((b) => [b])]);
  const userIds = (literals.get('aws:userid') ?? []).filter((v) => /[*?]/.test(v)).map((v) => instantiatePattern(v, token)).filter((v) => (v.split(':')[0] as string).includes(token));
  m.set('aws:userid', [[`AIDA${token.toUpperCase()}`], ...userIds.map((v) => [v])]);
  const arnKeys = [...literals.keys()].filter((k) => k === 'aws:sourcearn' || k.startsWith('kms:encryptioncontext:'));
  for (const k of arnKeys) {
    const owned = ownedArns(literals.get(k) ?? [], o.account, token, o.excluded);
    m.set(k, [undefined, [`arn:aws:sns:us-east-1:${o.account}:${token}`], [`arn:aws:s3:::${token}`], ...owned.map((v) => [v])]);
  }
  if (o.provider) {
    for (const claim of o.provider.claims) {
      const key = `${o.provider.keyPrefix}:${claim.claim}`.toLowerCase();
      const values = (literals.get(key) ?? []).filter((v) => /[*?]/.test(v)).map((v) => instantiatePattern(v, token)).filter((v) => claim.owner(v).includes(token));
      m.set(key, [[claim.stranger(token)], ...values.map((v) => [v])]);
    }
  }
  return m;
}
