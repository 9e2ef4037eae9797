import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OrganizationDirectory, type OrgSnapshot } from '../../shared/organization/directory.ts';
import { CachedDirectory, DynamoDirectoryStore, type DirectoryStore } from '../../shared/organization/store.ts';
import { startDynalite, type LocalDynamo } from '../helpers/dynalite.ts';

/** 1,000 accounts three OUs deep, names as long as account owners tend to make them. */
function bigOrganization(): OrgSnapshot {
  const accounts = Array.from({ length: 1000 }, (_, i) => ({
    id: String(100000000000 + i * 7919),
    name: `team-${i % 40}-workload-${i}-production-eu`,
    status: 'ACTIVE',
    email: `aws+team-${i % 40}-workload-${i}@example.com`,
    ouPath: [
      { id: 'r-ab12', name: 'Root' },
      { id: `ou-ab12-${String(10000000 + (i % 5))}`, name: `Division-${i % 5}` },
      { id: `ou-ab12-${String(20000000 + (i % 40))}`, name: `Team-${i % 40}` },
    ],
  }));
  return { organizationId: 'o-abcd123456', managementAccountId: '111111111111', accounts, readAt: '2026-12-02T00:00:00.000Z', source: 'organizations' };
}

let db: LocalDynamo;
beforeAll(async () => {
  db = await startDynalite();
  await db.createTable('directory');
});
afterAll(async () => db.stop());

describe('DynamoDirectoryStore: one item on real DynamoDB semantics (dynalite)', () => {
  it('round-trips 1,000 accounts with OU paths in one gzipped item well under 400 KB', async () => {
    const store = new DynamoDirectoryStore(db.client, 'directory');
    const snapshot = bigOrganization();
    const { bytes } = await store.put(snapshot);
    // docs/organization.md: ~260 KB of JSON (near the 400 KB item limit), ~15 KB gzipped.
    expect(Buffer.byteLength(JSON.stringify(snapshot))).toBeGreaterThan(250_000);
    expect(bytes).toBeLessThan(20_000);
    expect(await store.get()).toEqual(snapshot);
  });

  it('reads nothing from an empty table, and refuses an item that is not a snapshot', async () => {
    await db.createTable('empty');
    expect(await new DynamoDirectoryStore(db.client, 'empty').get()).toBeUndefined();
    await db.client.send(new PutItemCommand({ TableName: 'empty', Item: { pk: { S: 'organization' }, snapshot: { B: Buffer.from('not gzip') } } }));
    await expect(new DynamoDirectoryStore(db.client, 'empty').get()).rejects.toThrow(/not gzipped JSON/);
  });
});

describe('CachedDirectory: TTL cache under the tuning file', () => {
  const snapshot: OrgSnapshot = {
    accounts: [
      { id: '444455556666', name: 'payments-prod', status: 'ACTIVE', ouPath: [{ id: 'r-ab12', name: 'Root' }, { id: 'ou-ab12-22222222', name: 'Prod' }] },
      { id: '555566667777', name: 'sandbox', ouPath: [] },
    ],
    readAt: '2026-12-02T00:00:00.000Z',
    source: 'organizations',
  };
  function countingStore(result: () => OrgSnapshot | undefined): DirectoryStore & { reads: number } {
    const store = {
      reads: 0,
      async put() {
        return { bytes: 0 };
      },
      async get() {
        store.reads += 1;
        return result();
      },
    };
    return store;
  }

  it('reads the store once per TTL, and again after it', async () => {
    let now = 0;
    const store = countingStore(() => snapshot);
    const cache = new CachedDirectory(store, { ttlMs: 600_000, now: () => now });
    expect(cache.current.has('444455556666')).toBe(false);
    await cache.refresh();
    await cache.refresh();
    expect(store.reads).toBe(1);
    expect(cache.current.nameOf('444455556666')).toBe('payments-prod');
    now = 600_001;
    await cache.refresh();
    expect(store.reads).toBe(2);
  });

  it('keeps the last directory when a read fails, reports it, and retries after retryMs', async () => {
    let now = 0;
    let fail = false;
    const store = countingStore(() => {
      if (fail) throw new Error('ProvisionedThroughputExceededException');
      return snapshot;
    });
    const errors: string[] = [];
    const cache = new CachedDirectory(store, { ttlMs: 1000, retryMs: 5000, now: () => now, onError: (e) => errors.push(e.message) });
    await cache.refresh();
    fail = true;
    now = 2000;
    await cache.refresh();
    expect(errors).toEqual(['ProvisionedThroughputExceededException']);
    expect(cache.current.nameOf('444455556666')).toBe('payments-prod');
    now = 3000;
    await cache.refresh();
    expect(store.reads).toBe(2);
    now = 7001;
    fail = false;
    await cache.refresh();
    expect(store.reads).toBe(3);
  });

  it('the tuning file wins where it says something, AWS fills the rest', async () => {
    const declared = OrganizationDirectory.fromTuning({ accounts: [{ id: '555566667777', name: 'sandbox-alice', ou: 'Sandbox' }, { id: '777788889999', name: 'not-in-aws-yet' }] });
    const cache = new CachedDirectory(countingStore(() => snapshot), { declared });
    expect(cache.current.has('444455556666')).toBe(false);
    const d = await cache.refresh();
    expect(d.nameOf('555566667777')).toBe('sandbox-alice');
    expect(d.inOu('555566667777', 'Sandbox')).toBe(true);
    expect(d.nameOf('444455556666')).toBe('payments-prod');
    expect(d.has('777788889999')).toBe(true);
    expect(d.size).toBe(3);
  });

  it('without a store (account mode, replay) it is the tuning file alone', async () => {
    const cache = new CachedDirectory(undefined, { declared: OrganizationDirectory.fromTuning({ accounts: [{ id: '444455556666' }] }) });
    expect((await cache.refresh()).has('444455556666')).toBe(true);
    expect(cache.current.nameOf('444455556666')).toBeUndefined();
  });
});

describe('OrganizationDirectory.inOu: OU ids, the root, and name paths covering the OUs below', () => {
  const d = new OrganizationDirectory([
    { id: '444455556666', ouPath: [{ id: 'r-ab12', name: 'Root' }, { id: 'ou-ab12-11111111', name: 'Workloads' }, { id: 'ou-ab12-22222222', name: 'Prod' }] },
    { id: '555566667777', ouPath: parseLike('Workloads/Prod-EU') },
  ]);
  function parseLike(path: string) {
    return path.split('/').map((name) => ({ id: '', name }));
  }
  it.each([
    ['ou-ab12-22222222', '444455556666', true],
    ['ou-ab12-11111111', '444455556666', true],
    ['r-ab12', '444455556666', true],
    ['Workloads', '444455556666', true],
    ['Workloads/Prod', '444455556666', true],
    ['Prod', '444455556666', false],
    ['Workloads/Prod', '555566667777', false],
    ['Workloads/Prod/Extra', '444455556666', false],
    ['ou-ab12-22222222', '555566667777', false],
    ['Workloads', '999999999999', false],
  ])('%s covers %s: %s', (selector, account, expected) => {
    expect(d.inOu(account, selector)).toBe(expected);
  });
});
