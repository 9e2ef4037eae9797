import {
  DescribeOrganizationCommand,
  ListAccountsForParentCommand,
  ListOrganizationalUnitsForParentCommand,
  ListRootsCommand,
  type OrganizationsClient,
} from '@aws-sdk/client-organizations';
import type { OrgAccount, OrgSnapshot, OrgUnit } from './directory.ts';

/**
 * Reads the whole organization from AWS Organizations, walking the tree down from the root:
 *
 *   DescribeOrganization, ListRoots, then per parent (root or OU) ListAccountsForParent and
 *   ListOrganizationalUnitsForParent, each paginated.
 *
 * Walking down costs 2 + 2 × (OUs + 1) calls plus extra pages (20 accounts a page), and it yields
 * each account's OU path with names for free (ListOrganizationalUnitsForParent returns them).
 * Walking up instead (ListAccounts, then ListParents per account per level, then
 * DescribeOrganizationalUnit per OU) costs about accounts × depth calls: 3,000+ for 1,000 accounts
 * three OUs deep, against ~160 this way. ListAccountsForParent returns the same Account shape as
 * ListAccounts (id, name, e-mail, status), so ListAccounts would add calls and no data.
 *
 * Organizations allows only a few requests per second per account: calls are paced
 * (`minIntervalMs`) and a throttled or failed call is retried with full-jitter exponential backoff.
 * The client should be built with `maxAttempts: 1` so this is the only retry layer.
 */

export interface ReaderOptions {
  /** Attempts per call (first try included). Default 8. */
  maxAttempts?: number;
  /** Backoff base and cap (ms). Defaults 250 and 20,000. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** At least this long between two calls (ms). Default 100 (≤ 10 calls/s). */
  minIntervalMs?: number;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
  random?: () => number;
}

/** What one read cost, for the log and the tests. */
export interface ReadStats {
  calls: number;
  retries: number;
  ous: number;
}

/** The read failed for good (not permitted, not in an organization, or still throttled after every attempt). */
export class DirectoryReadError extends Error {
  constructor(
    message: string,
    override readonly cause?: unknown,
  ) {
    super(message);
    this.name = 'DirectoryReadError';
  }
}

type OrgClient = Pick<OrganizationsClient, 'send'>;

const RETRYABLE = new Set(['TooManyRequestsException', 'ThrottlingException', 'Throttling', 'ServiceException', 'ConcurrentModificationException', 'RequestTimeout', 'TimeoutError']);

function isRetryable(error: unknown): boolean {
  const e = error as { name?: string; $retryable?: unknown; $metadata?: { httpStatusCode?: number } };
  if (e?.name && RETRYABLE.has(e.name)) return true;
  if (e?.$retryable) return true;
  const status = e?.$metadata?.httpStatusCode;
  return status === 429 || (status !== undefined && status >= 500);
}

const realSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Reads the organization into a snapshot; throws DirectoryReadError when it cannot. */
export async function readOrganization(client: OrgClient, options: ReaderOptions = {}): Promise<{ snapshot: OrgSnapshot; stats: ReadStats }> {
  const maxAttempts = options.maxAttempts ?? 8;
  const base = options.baseDelayMs ?? 250;
  const cap = options.maxDelayMs ?? 20_000;
  const interval = options.minIntervalMs ?? 100;
  const sleep = options.sleep ?? realSleep;
  const now = options.now ?? Date.now;
  const random = options.random ?? Math.random;
  const stats: ReadStats = { calls: 0, retries: 0, ous: 0 };
  let last = Number.NEGATIVE_INFINITY;

  // Each call: paced, retried with backoff on throttling and server errors, failed for good otherwise.
  async function call<T>(label: string, send: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt += 1) {
      const wait = last + interval - now();
      if (wait > 0) await sleep(wait);
      last = now();
      stats.calls += 1;
      try {
        return await send();
      } catch (error) {
        if (!isRetryable(error) || attempt >= maxAttempts) {
          const e = error as Error;
          throw new DirectoryReadError(`organizations:${label} failed${attempt > 1 ? ` after ${attempt} attempts` : ''}: ${e?.name ?? 'Error'}: ${e?.message ?? String(error)}`, error);
        }
        stats.retries += 1;
        await sleep(Math.floor(random() * Math.min(cap, base * 2 ** (attempt - 1))));
      }
    }
  }

  // Every page until NextToken is absent: Organizations may return an empty page with a token.
  async function pages<T>(label: string, page: (token: string | undefined) => Promise<{ items: T[]; next?: string | undefined }>): Promise<T[]> {
    const out: T[] = [];
    let token: string | undefined;
    do {
      const result = await call(label, () => page(token));
      out.push(...result.items);
      token = result.next;
    } while (token);
    return out;
  }

  const described = await call('DescribeOrganization', () => client.send(new DescribeOrganizationCommand({})));
  const roots = await pages('ListRoots', async (NextToken) => {
    const r = await client.send(new ListRootsCommand({ ...(NextToken ? { NextToken } : {}) }));
    return { items: r.Roots ?? [], next: r.NextToken };
  });
  const accounts = new Map<string, OrgAccount>();
  const queue: Array<{ id: string; path: OrgUnit[] }> = roots.filter((r) => r.Id).map((r) => ({ id: r.Id as string, path: [{ id: r.Id as string, name: r.Name ?? 'Root' }] }));
  const seen = new Set<string>();
  while (queue.length > 0) {
    const parent = queue.shift() as { id: string; path: OrgUnit[] };
    if (seen.has(parent.id)) continue;
    seen.add(parent.id);
    const children = await pages('ListAccountsForParent', async (NextToken) => {
      const r = await client.send(new ListAccountsForParentCommand({ ParentId: parent.id, ...(NextToken ? { NextToken } : {}) }));
      return { items: r.Accounts ?? [], next: r.NextToken };
    });
    for (const a of children) {
      if (!a.Id || !/^\d{12}$/.test(a.Id)) continue;
      accounts.set(a.Id, {
        id: a.Id,
        ...(a.Name ? { name: a.Name } : {}),
        ...(a.State ? { status: String(a.State) } : a.Status ? { status: String(a.Status) } : {}),
        ...(a.Email ? { email: a.Email } : {}),
        ouPath: parent.path,
      });
    }
    const ous = await pages('ListOrganizationalUnitsForParent', async (NextToken) => {
      const r = await client.send(new ListOrganizationalUnitsForParentCommand({ ParentId: parent.id, ...(NextToken ? { NextToken } : {}) }));
      return { items: r.OrganizationalUnits ?? [], next: r.NextToken };
    });
    for (const ou of ous) {
      if (!ou.Id) continue;
      stats.ous += 1;
      queue.push({ id: ou.Id, path: [...parent.path, { id: ou.Id, name: ou.Name ?? ou.Id }] });
    }
  }
  const org = described.Organization;
  const snapshot: OrgSnapshot = {
    ...(org?.Id ? { organizationId: org.Id } : {}),
    ...(org?.MasterAccountId ? { managementAccountId: org.MasterAccountId } : {}),
    accounts: [...accounts.values()].sort((a, b) => a.id.localeCompare(b.id)),
    readAt: new Date(now()).toISOString(),
    source: 'organizations',
  };
  return { snapshot, stats };
}
