import {
  DescribeOrganizationCommand,
  ListAccountsCommand,
  ListAccountsForParentCommand,
  ListOrganizationalUnitsForParentCommand,
  ListParentsCommand,
  ListRootsCommand,
  OrganizationsClient,
} from '@aws-sdk/client-organizations';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { OrganizationDirectory } from '../../shared/organization/directory.ts';
import { DirectoryReadError, readOrganization } from '../../shared/organization/reader.ts';

const org = mockClient(OrganizationsClient);
const client = new OrganizationsClient({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } });

/** Organizations' error shape: a named error with HTTP metadata. */
function awsError(name: string, status: number): Error {
  return Object.assign(new Error(`${name} from the service`), { name, $metadata: { httpStatusCode: status } });
}

const account = (id: string, name: string) => ({ Id: id, Arn: `arn:aws:organizations::111111111111:account/o-abcd123456/${id}`, Name: name, Email: `${name}@example.com`, State: 'ACTIVE' as const, Status: 'ACTIVE' as const });

/**
 * Root r-ab12 holds the management account and OU Workloads (ou-ab12-11111111), which holds OU
 * Prod (ou-ab12-22222222) with 21 accounts (two pages, the first followed by an EMPTY page with a
 * token, as Organizations may return) and OU Sandbox with one account whose name is hostile text.
 */
function organization(): void {
  org.on(DescribeOrganizationCommand).resolves({ Organization: { Id: 'o-abcd123456', MasterAccountId: '111111111111', Arn: 'arn:aws:organizations::111111111111:organization/o-abcd123456' } });
  org.on(ListRootsCommand).resolves({ Roots: [{ Id: 'r-ab12', Name: 'Root', Arn: 'arn:aws:organizations::111111111111:root/o-abcd123456/r-ab12' }] });
  org.on(ListAccountsForParentCommand, { ParentId: 'r-ab12' }).resolves({ Accounts: [account('111111111111', 'management')] });
  org.on(ListOrganizationalUnitsForParentCommand, { ParentId: 'r-ab12' }).resolves({ OrganizationalUnits: [{ Id: 'ou-ab12-11111111', Name: 'Workloads' }] });
  org.on(ListAccountsForParentCommand, { ParentId: 'ou-ab12-11111111' }).resolves({ Accounts: [] });
  org.on(ListOrganizationalUnitsForParentCommand, { ParentId: 'ou-ab12-11111111' }).resolves({
    OrganizationalUnits: [
      { Id: 'ou-ab12-22222222', Name: 'Prod' },
      { Id: 'ou-ab12-33333333', Name: 'Sandbox' },
    ],
  });
  const prod = Array.from({ length: 21 }, (_, i) => account(String(222222222200 + i), `prod-${i}`));
  org
    .on(ListAccountsForParentCommand, { ParentId: 'ou-ab12-22222222' })
    .resolves({ Accounts: prod.slice(0, 20), NextToken: 't1' })
    .on(ListAccountsForParentCommand, { ParentId: 'ou-ab12-22222222', NextToken: 't1' })
    .resolves({ Accounts: [], NextToken: 't2' })
    .on(ListAccountsForParentCommand, { ParentId: 'ou-ab12-22222222', NextToken: 't2' })
    .resolves({ Accounts: prod.slice(20) });
  org.on(ListAccountsForParentCommand, { ParentId: 'ou-ab12-33333333' }).resolves({ Accounts: [account('333333333333', '<!channel> *evil*')] });
  org.on(ListOrganizationalUnitsForParentCommand, { ParentId: 'ou-ab12-22222222' }).resolves({ OrganizationalUnits: [] });
  org.on(ListOrganizationalUnitsForParentCommand, { ParentId: 'ou-ab12-33333333' }).resolves({ OrganizationalUnits: [] });
}

const noWait = { sleep: async () => undefined, minIntervalMs: 0 };

beforeEach(() => org.reset());

describe('readOrganization: walking the tree down', () => {
  it('reads every account with its name, status, e-mail and OU path, through empty pages', async () => {
    organization();
    const { snapshot, stats } = await readOrganization(client, noWait);
    expect(snapshot.organizationId).toBe('o-abcd123456');
    expect(snapshot.managementAccountId).toBe('111111111111');
    expect(snapshot.accounts).toHaveLength(23);
    const d = OrganizationDirectory.fromSnapshot(snapshot);
    expect(d.get('222222222200')).toEqual({
      id: '222222222200',
      name: 'prod-0',
      status: 'ACTIVE',
      email: 'prod-0@example.com',
      ouPath: [
        { id: 'r-ab12', name: 'Root' },
        { id: 'ou-ab12-11111111', name: 'Workloads' },
        { id: 'ou-ab12-22222222', name: 'Prod' },
      ],
    });
    // The account on the page after the empty page is not lost.
    expect(d.nameOf('222222222220')).toBe('prod-20');
    expect(d.has('222222222221')).toBe(false);
    expect(d.get('111111111111')?.ouPath).toEqual([{ id: 'r-ab12', name: 'Root' }]);
    // Hostile names are kept verbatim: escaping is the renderers' job, per channel.
    expect(d.nameOf('333333333333')).toBe('<!channel> *evil*');
    // Fewer calls than walking up: 2 + 2 per parent (4 parents) + 2 extra pages; no ListAccounts/ListParents.
    expect(stats).toEqual({ calls: 12, retries: 0, ous: 3 });
    expect(org.commandCalls(ListAccountsCommand)).toHaveLength(0);
    expect(org.commandCalls(ListParentsCommand)).toHaveLength(0);
  });

  it('backs off and retries a throttled call (TooManyRequestsException), with growing full-jitter waits', async () => {
    organization();
    org
      .on(ListOrganizationalUnitsForParentCommand, { ParentId: 'r-ab12' })
      .rejectsOnce(awsError('TooManyRequestsException', 400))
      .rejectsOnce(awsError('TooManyRequestsException', 400))
      .resolves({ OrganizationalUnits: [{ Id: 'ou-ab12-11111111', Name: 'Workloads' }] });
    const waits: number[] = [];
    const { snapshot, stats } = await readOrganization(client, { minIntervalMs: 0, random: () => 0.999, sleep: async (ms) => void waits.push(ms) });
    expect(snapshot.accounts).toHaveLength(23);
    expect(stats.retries).toBe(2);
    expect(waits).toEqual([249, 499]);
  });

  it('paces calls so consecutive requests are at least minIntervalMs apart', async () => {
    organization();
    let clock = 0;
    const waits: number[] = [];
    await readOrganization(client, { minIntervalMs: 100, now: () => clock, sleep: async (ms) => void (waits.push(ms), (clock += ms)) });
    // Every call after the first waited the full interval (the fake clock does not move otherwise).
    expect(waits).toHaveLength(11);
    expect(waits.every((w) => w === 100)).toBe(true);
  });

  it('gives up with DirectoryReadError after maxAttempts of throttling', async () => {
    organization();
    org.on(ListRootsCommand).rejects(awsError('TooManyRequestsException', 400));
    await expect(readOrganization(client, { ...noWait, maxAttempts: 3 })).rejects.toThrow(/ListRoots failed after 3 attempts: TooManyRequestsException/);
    expect(org.commandCalls(ListRootsCommand)).toHaveLength(3);
  });

  it('does not retry what a retry cannot fix (AccessDenied: not the management account or a delegated administrator)', async () => {
    org.on(DescribeOrganizationCommand).rejects(awsError('AccessDeniedException', 400));
    const error = await readOrganization(client, noWait).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DirectoryReadError);
    expect((error as Error).message).toMatch(/DescribeOrganization failed: AccessDeniedException/);
    expect(org.commandCalls(DescribeOrganizationCommand)).toHaveLength(1);
  });
});
