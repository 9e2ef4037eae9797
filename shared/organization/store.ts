import type * as Zlib from 'node:zlib';
import { type DynamoItemApi, type DynamoLike, dynamoApi } from '../sinks/transport/apis.ts';
import { asSnapshot, OrganizationDirectory, type OrgSnapshot } from './directory.ts';

/**
 * Where the directory lives: ONE DynamoDB item (`pk = "organization"`) holding the gzipped JSON
 * snapshot. Why one item: every reader needs the whole directory (any account may appear in the
 * next finding), so one GetItem per cache refresh is the cheapest read; an item holds 400 KB, and
 * 1,000 accounts with OU paths are ~150 KB of JSON, ~15–25 KB gzipped. An SSM parameter holds at
 * most 8 KB (advanced tier) — too small for a large organization — and S3 would need a bucket
 * and its policies for the same single read.
 */
export const DIRECTORY_KEY = 'organization';
/** DynamoDB's item limit is 400 KB: stop short of it with a message that says why. */
export const MAX_SNAPSHOT_BYTES = 390_000;

/**
 * node:zlib on first use: detect imports this module for `CachedDirectory` on every cold start, and
 * only a stack with a directory table ever (un)zips a snapshot (docs/performance.md "Cold start").
 */
const zlib = (): typeof Zlib => process.getBuiltinModule('node:zlib');

export interface DirectoryStore {
  put(snapshot: OrgSnapshot): Promise<{ bytes: number }>;
  get(): Promise<OrgSnapshot | undefined>;
}

export class DynamoDirectoryStore implements DirectoryStore {
  private readonly client: DynamoItemApi;

  /** `client`: the signed-HTTP client (detect) or an SDK `DynamoDBClient`. */
  constructor(
    client: DynamoLike,
    private readonly table: string,
  ) {
    this.client = dynamoApi(client);
  }

  async put(snapshot: OrgSnapshot): Promise<{ bytes: number }> {
    const body = zlib().gzipSync(Buffer.from(JSON.stringify(snapshot), 'utf8'));
    if (body.length > MAX_SNAPSHOT_BYTES) throw new Error(`organization directory too large for one DynamoDB item: ${body.length} bytes gzipped for ${snapshot.accounts.length} accounts`);
    await this.client.putItem({
      TableName: this.table,
      Item: {
        pk: { S: DIRECTORY_KEY },
        snapshot: { B: body },
        readAt: { S: snapshot.readAt },
        accounts: { N: String(snapshot.accounts.length) },
      },
    });
    return { bytes: body.length };
  }

  async get(): Promise<OrgSnapshot | undefined> {
    const out = await this.client.getItem({ TableName: this.table, Key: { pk: { S: DIRECTORY_KEY } }, ConsistentRead: false });
    const body = out.Item?.['snapshot']?.B;
    if (!body) return undefined;
    let parsed: unknown;
    try {
      parsed = JSON.parse(zlib().gunzipSync(Buffer.from(body)).toString('utf8'));
    } catch (error) {
      throw new Error(`directory item is not gzipped JSON: ${(error as Error).message}`);
    }
    const snapshot = asSnapshot(parsed);
    if (!snapshot) throw new Error('directory item is not a directory snapshot');
    return snapshot;
  }
}

export interface CachedDirectoryOptions {
  /** How long a read directory is used before the store is read again (ms). Default 10 minutes. */
  ttlMs?: number;
  /** After a failed read, wait this long before trying again (ms). Default 1 minute. */
  retryMs?: number;
  /** Accounts from the tuning file: always part of the directory, and their fields win. */
  declared?: OrganizationDirectory;
  now?: () => number;
  onError?: (error: Error) => void;
}

/**
 * The directory a handler uses: the stored snapshot, re-read at most once per TTL (call
 * `refresh()` at the start of each invocation; it is free while fresh), merged under the tuning
 * file's accounts. A failed read keeps the last good directory (or the declared accounts alone)
 * and is reported through `onError`: names may be missing from an alert, never the alert.
 */
export class CachedDirectory {
  #current: OrganizationDirectory;
  #snapshot: OrgSnapshot | undefined;
  #nextRead = 0;
  readonly #ttl: number;
  readonly #retry: number;
  readonly #now: () => number;
  readonly #declared: OrganizationDirectory;

  constructor(
    private readonly store: DirectoryStore | undefined,
    private readonly options: CachedDirectoryOptions = {},
  ) {
    this.#declared = options.declared ?? new OrganizationDirectory();
    this.#current = this.#declared;
    this.#ttl = options.ttlMs ?? 600_000;
    this.#retry = options.retryMs ?? 60_000;
    this.#now = options.now ?? Date.now;
  }

  /** Re-reads the store when the TTL has passed; never throws. */
  async refresh(): Promise<OrganizationDirectory> {
    if (!this.store || this.#now() < this.#nextRead) return this.#current;
    try {
      const snapshot = await this.store.get();
      this.#snapshot = snapshot;
      this.#current = snapshot ? this.#declared.merge(OrganizationDirectory.fromSnapshot(snapshot)) : this.#declared;
      this.#nextRead = this.#now() + this.#ttl;
    } catch (error) {
      this.#nextRead = this.#now() + this.#retry;
      this.options.onError?.(error as Error);
    }
    return this.#current;
  }

  /** The directory as of the last refresh (synchronous, for renderers). */
  get current(): OrganizationDirectory {
    return this.#current;
  }

  /** The last snapshot read from the store, if any (its `readAt` says how old it is). */
  get snapshot(): OrgSnapshot | undefined {
    return this.#snapshot;
  }
}
