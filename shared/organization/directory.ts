import type { AccountDirectory } from '../alerts/context.ts';
import type { AccountSet } from '../detections/types.ts';

/** One organizational unit on an account's path (root first, the account's own OU last). */
export interface OrgUnit {
  /** `r-…` for the root, `ou-…` for an OU. */
  id: string;
  name: string;
}

/** One account as the directory knows it. Names and e-mails are set by account owners: data, never markup. */
export interface OrgAccount {
  id: string;
  name?: string;
  /** Organizations `Status` (ACTIVE, SUSPENDED, PENDING_CLOSURE); absent when declared in the tuning file. */
  status?: string;
  email?: string;
  /**
   * OUs from the root down to the account's parent. From AWS: root first (`r-…`, named "Root").
   * From the tuning file (`ou: Workloads/Prod`): the named OUs without ids, root left out.
   */
  ouPath: OrgUnit[];
}

/** What the directory reader stores and every function reads: the whole organization in one record. */
export interface OrgSnapshot {
  organizationId?: string;
  managementAccountId?: string;
  accounts: OrgAccount[];
  /** ISO time the snapshot was read from AWS Organizations (or built from the tuning file). */
  readAt: string;
  /** Where it came from. */
  source: 'organizations' | 'tuning';
}

const ACCOUNT_ID = /^\d{12}$/;

/** Splits a tuning-file OU path (`Workloads/Prod`) into named units. */
export function parseOuPath(path: string | undefined): OrgUnit[] {
  return (path ?? '')
    .split('/')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((name) => ({ id: '', name }));
}

/** The OU path as people write it: names joined by `/`, the root left out (`Workloads/Prod`). */
export function ouPathText(path: readonly OrgUnit[]): string {
  return path
    .filter((u) => !u.id.startsWith('r-'))
    .map((u) => u.name)
    .join('/');
}

/**
 * The organization's accounts, for alerts (names), the policy engine's zone of trust (membership)
 * and team routing (OU paths). Built from an AWS Organizations snapshot, the tuning file's
 * `organization.accounts`, or both (`merge`): the same object answers in Lambda and in replay.
 */
export class OrganizationDirectory implements AccountDirectory, AccountSet {
  readonly #accounts = new Map<string, OrgAccount>();
  readonly organizationId: string | undefined;

  constructor(accounts: readonly OrgAccount[] = [], organizationId?: string) {
    for (const a of accounts) if (ACCOUNT_ID.test(a.id)) this.#accounts.set(a.id, a);
    this.organizationId = organizationId;
  }

  static fromSnapshot(snapshot: OrgSnapshot): OrganizationDirectory {
    return new OrganizationDirectory(snapshot.accounts, snapshot.organizationId);
  }

  /** From the tuning file's `organization` block (`{ id, accounts: [{ id, name, ou }] }`). */
  static fromTuning(organization: { id?: string; accounts?: ReadonlyArray<{ id: string; name?: string; ou?: string }> } | undefined): OrganizationDirectory {
    const accounts = (organization?.accounts ?? []).map((a) => ({ id: a.id, ...(a.name ? { name: a.name } : {}), ouPath: parseOuPath(a.ou) }));
    return new OrganizationDirectory(accounts, organization?.id);
  }

  /**
   * This directory with `other` filling the gaps: an account known to both keeps this one's fields
   * where set (name, OU path), so the file can rename an account or place it in an OU for replay
   * while the Lambda path reads the same values from AWS.
   */
  merge(other: OrganizationDirectory | undefined): OrganizationDirectory {
    if (!other || other.size === 0) return this;
    const out = new Map<string, OrgAccount>();
    for (const a of other.accounts()) out.set(a.id, a);
    for (const a of this.accounts()) {
      const b = out.get(a.id);
      out.set(a.id, b ? { ...b, ...a, name: a.name ?? b.name, ouPath: a.ouPath.length > 0 ? a.ouPath : b.ouPath } : a);
    }
    return new OrganizationDirectory([...out.values()], this.organizationId ?? other.organizationId);
  }

  has(accountId: string): boolean {
    return this.#accounts.has(accountId);
  }

  nameOf(accountId: string): string | undefined {
    const name = this.#accounts.get(accountId)?.name?.trim();
    return name ? name : undefined;
  }

  get(accountId: string): OrgAccount | undefined {
    return this.#accounts.get(accountId);
  }

  accounts(): OrgAccount[] {
    return [...this.#accounts.values()];
  }

  get size(): number {
    return this.#accounts.size;
  }

  /**
   * True when the account lies in the OU `selector` or below it. A selector is an OU id (`ou-…`,
   * or the root `r-…`) or a name path (`Workloads` covers `Workloads/Prod`), compared segment by
   * segment, case-sensitively, as Organizations shows the names.
   */
  inOu(accountId: string, selector: string): boolean {
    const path = this.#accounts.get(accountId)?.ouPath ?? [];
    if (path.length === 0) return false;
    if (/^(ou|r)-[a-z0-9-]+$/.test(selector)) return path.some((u) => u.id === selector);
    const want = parseOuPath(selector).map((u) => u.name);
    const have = path.filter((u) => !u.id.startsWith('r-')).map((u) => u.name);
    return want.length > 0 && want.length <= have.length && want.every((name, i) => have[i] === name);
  }
}

/** Checks an untrusted value (a stored item) is a snapshot; returns undefined otherwise. */
export function asSnapshot(value: unknown): OrgSnapshot | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  if (!Array.isArray(v['accounts']) || typeof v['readAt'] !== 'string') return undefined;
  const accounts: OrgAccount[] = [];
  for (const raw of v['accounts'] as unknown[]) {
    if (typeof raw !== 'object' || raw === null) continue;
    const a = raw as Record<string, unknown>;
    if (typeof a['id'] !== 'string' || !ACCOUNT_ID.test(a['id'])) continue;
    const ouPath = Array.isArray(a['ouPath'])
      ? (a['ouPath'] as unknown[]).filter((u): u is OrgUnit => typeof u === 'object' && u !== null && typeof (u as OrgUnit).id === 'string' && typeof (u as OrgUnit).name === 'string')
      : [];
    accounts.push({
      id: a['id'],
      ...(typeof a['name'] === 'string' ? { name: a['name'] } : {}),
      ...(typeof a['status'] === 'string' ? { status: a['status'] } : {}),
      ...(typeof a['email'] === 'string' ? { email: a['email'] } : {}),
      ouPath,
    });
  }
  return {
    accounts,
    readAt: v['readAt'],
    source: v['source'] === 'tuning' ? 'tuning' : 'organizations',
    ...(typeof v['organizationId'] === 'string' ? { organizationId: v['organizationId'] } : {}),
    ...(typeof v['managementAccountId'] === 'string' ? { managementAccountId: v['managementAccountId'] } : {}),
  };
}
