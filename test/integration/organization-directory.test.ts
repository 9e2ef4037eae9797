import { CreateTableCommand, DynamoDBClient, waitUntilTableExists } from '@aws-sdk/client-dynamodb';
import {
  CreateAccountCommand,
  CreateOrganizationalUnitCommand,
  CreateOrganizationCommand,
  ListParentsCommand,
  ListRootsCommand,
  MoveAccountCommand,
  OrganizationsClient,
} from '@aws-sdk/client-organizations';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { createDirectoryHandler } from '../../functions/directory.ts';
import { createMemoryLog } from '../../shared/log.ts';
import { DynamoDirectoryStore, CachedDirectory } from '../../shared/organization/store.ts';
import { clientConfig, motoAccount, type MotoAccount } from './moto-stack.ts';

const endpoint = inject('motoEndpoint');
const unavailable = inject('motoUnavailable');

/**
 * The directory function against moto's AWS Organizations (create_organization, OUs, accounts,
 * move_account, the List* APIs it implements) and moto's DynamoDB: the stored directory is read
 * back through the same cache detect and notify use. ListParents (which the reader does not call)
 * is the independent oracle for every account's parent. moto does not throttle, so backoff is
 * covered by the unit tests (test/organization/reader.test.ts), not here.
 */
describe.skipIf(!endpoint)(`moto: organization directory reader${unavailable ? ` (${unavailable})` : ''}`, () => {
  let account: MotoAccount;
  let org: OrganizationsClient;
  let ddb: DynamoDBClient;
  const table = 'trailwatch-moto-directory';
  const created: Record<string, { name: string; ou: string }> = {};

  beforeAll(async () => {
    account = await motoAccount(endpoint);
    org = new OrganizationsClient(clientConfig(account));
    ddb = new DynamoDBClient(clientConfig(account));
    await org.send(new CreateOrganizationCommand({ FeatureSet: 'ALL' }));
    const root = (await org.send(new ListRootsCommand({}))).Roots?.[0]?.Id as string;
    const ou = async (parent: string, name: string) => (await org.send(new CreateOrganizationalUnitCommand({ ParentId: parent, Name: name }))).OrganizationalUnit?.Id as string;
    const workloads = await ou(root, 'Workloads');
    const prod = await ou(workloads, 'Prod');
    const sandbox = await ou(root, 'Sandbox');
    const place: Array<[string, string, string]> = [
      ['payments-prod', prod, 'Workloads/Prod'],
      ['search-prod', prod, 'Workloads/Prod'],
      ['shared-services', workloads, 'Workloads'],
      ['alice-sandbox <!channel>', sandbox, 'Sandbox'],
      ['unplaced', root, ''],
    ];
    for (const [name, parent, path] of place) {
      const status = (await org.send(new CreateAccountCommand({ AccountName: name, Email: `${name.replace(/[^a-z]/g, '')}@example.com` }))).CreateAccountStatus;
      const id = status?.AccountId as string;
      if (parent !== root) await org.send(new MoveAccountCommand({ AccountId: id, SourceParentId: root, DestinationParentId: parent }));
      created[id] = { name, ou: path };
    }
    await ddb.send(
      new CreateTableCommand({ TableName: table, BillingMode: 'PAY_PER_REQUEST', AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }], KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }] }),
    );
    await waitUntilTableExists({ client: ddb, minDelay: 0.05, maxDelay: 0.5, maxWaitTime: 120 }, { TableName: table });
  });

  it('stores every account with its name and OU path; detect/notify read it back through the cache', async () => {
    const handler = createDirectoryHandler({ organizations: org, store: new DynamoDirectoryStore(ddb, table), log: createMemoryLog(), reader: { minIntervalMs: 0 } });
    const result = await handler();
    // The management account (moto's caller) plus the five created ones.
    expect(result.accounts).toBe(6);
    expect(result.ous).toBe(3);
    const directory = await new CachedDirectory(new DynamoDirectoryStore(ddb, table)).refresh();
    expect(directory.has(account.accountId)).toBe(true);
    for (const [id, want] of Object.entries(created)) {
      expect(directory.nameOf(id), id).toBe(want.name);
      expect(directory.get(id)?.status, id).toBe('ACTIVE');
      const path = (directory.get(id)?.ouPath ?? []).filter((u) => !u.id.startsWith('r-')).map((u) => u.name).join('/');
      expect(path, want.name).toBe(want.ou);
      // Independent oracle: moto's own ListParents names the same immediate parent.
      const parent = (await org.send(new ListParentsCommand({ ChildId: id }))).Parents?.[0]?.Id;
      expect(directory.get(id)?.ouPath.at(-1)?.id, want.name).toBe(parent);
    }
    expect(directory.inOu(Object.keys(created)[0]!, 'Workloads')).toBe(true);
    expect(directory.inOu(Object.keys(created)[3]!, 'Workloads')).toBe(false);
  });
});
