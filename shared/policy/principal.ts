import { parseArn } from './arn.ts';
import type { PrincipalBlock } from './types.ts';
import { boundedMap, remember } from '../memo.ts';

/** What we know about the principal making a request. */
export interface PrincipalInfo {
  /** As given: an ARN, a service name (`lambda.amazonaws.com`), or undefined for anonymous. */
  id?: string;
  account?: string;
  /** `user`, `role`, `assumed-role`, `federated-user`, `root`, `service`, `anonymous`, `other`. */
  type: string;
  /** For an assumed-role session: the role name (to match `arn:aws:iam::A:role/path/Name`). */
  roleName?: string;
  /** IAM user name for `${aws:username}`. */
  userName?: string;
}

const DESCRIBED_LIMIT = 10_000;
const described = boundedMap<string, Readonly<PrincipalInfo>>(DESCRIBED_LIMIT);
const ANONYMOUS: Readonly<PrincipalInfo> = Object.freeze({ type: 'anonymous' });

/** Classifies a principal string into the facts evaluation needs (cached by string: the result is frozen). */
export function describePrincipal(principal: string | undefined): Readonly<PrincipalInfo> {
  if (principal === undefined) return ANONYMOUS;
  let info = described.get(principal);
  if (!info) {
    info = Object.freeze(classify(principal));
    remember(described, principal, info);
  }
  return info;
}

function classify(principal: string | undefined): PrincipalInfo {
  if (principal === undefined || principal === '' || principal === '*') return { type: 'anonymous' };
  if (/^\d{12}$/.test(principal)) return { id: `arn:aws:iam::${principal}:root`, account: principal, type: 'root' };
  const arn = parseArn(principal);
  if (!arn) {
    if (/\.amazonaws\.com(\.cn)?$/.test(principal)) return { id: principal, type: 'service' };
    return { id: principal, type: 'other' };
  }
  const info: PrincipalInfo = { id: principal, account: arn.account, type: 'other' };
  if (arn.service === 'iam' && arn.resource === 'root') info.type = 'root';
  else if (arn.service === 'iam' && arn.resource.startsWith('user/')) {
    info.type = 'user';
    info.userName = arn.resource.split('/').pop() as string;
  } else if (arn.service === 'iam' && arn.resource.startsWith('role/')) {
    info.type = 'role';
    info.roleName = arn.resource.split('/').pop() as string;
  } else if (arn.service === 'sts' && arn.resource.startsWith('assumed-role/')) {
    info.type = 'assumed-role';
    info.roleName = arn.resource.split('/')[1] as string;
  } else if (arn.service === 'sts' && arn.resource.startsWith('federated-user/')) info.type = 'federated-user';
  return info;
}

/** How a Principal element matched: `direct` names this principal (or everyone), `account` only its account. */
export type PrincipalMatch = 'direct' | 'direct-role' | 'account' | 'none';

function matchAwsValue(value: string, who: PrincipalInfo): PrincipalMatch {
  if (value === '*') return 'direct';
  if (who.type === 'anonymous' || who.id === undefined) return 'none';
  if (/^\d{12}$/.test(value)) return value === who.account ? 'account' : 'none';
  const arn = parseArn(value);
  if (!arn) return 'none';
  if (arn.service === 'iam' && arn.resource === 'root') return arn.account === who.account ? 'account' : 'none';
  if (value === who.id) return 'direct';
  if (who.type === 'assumed-role' && arn.service === 'iam' && arn.resource.startsWith('role/') && arn.account === who.account) {
    return arn.resource.split('/').pop() === who.roleName ? 'direct-role' : 'none';
  }
  return 'none';
}

/**
 * Matches a Principal element against the requesting principal: `*` and `{"AWS":"*"}` match
 * everyone; an account id or `:root` ARN matches every principal of that account (delegating to
 * its identity policies); a role ARN matches the role's sessions; Service, Federated and
 * CanonicalUser compare exactly (services case-insensitively).
 */
export function matchPrincipal(block: PrincipalBlock, who: PrincipalInfo): PrincipalMatch {
  let best: PrincipalMatch = 'none';
  const rank: Record<PrincipalMatch, number> = { none: 0, account: 1, 'direct-role': 2, direct: 3 };
  for (const [kind, values] of Object.entries(block)) {
    for (const value of values) {
      let m: PrincipalMatch = 'none';
      if (kind === '*') m = 'direct';
      else if (kind === 'AWS') m = matchAwsValue(value, who);
      else if (kind === 'Service') m = who.type === 'service' && who.id?.toLowerCase() === value.toLowerCase() ? 'direct' : 'none';
      else if (kind === 'Federated' || kind === 'CanonicalUser') m = value === '*' || value === who.id ? 'direct' : 'none';
      if (rank[m] > rank[best]) best = m;
    }
  }
  return best;
}
