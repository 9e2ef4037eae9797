/**
 * Lambda (organization mode, on a schedule): reads the AWS Organization — accounts, names, status,
 * e-mail, OU paths — and stores it as one DynamoDB item that detect and notify read with a TTL
 * cache (shared/organization). Runs in the central (security-tooling) account, which must be the
 * management account or an Organizations delegated administrator (docs/organization.md).
 * A failed read throws: the next scheduled run tries again, and readers keep the last directory.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { OrganizationsClient } from '@aws-sdk/client-organizations';
import { createLambdaLogger, type Log } from '../shared/log.ts';
import { readOrganization, type ReaderOptions } from '../shared/organization/reader.ts';
import { DynamoDirectoryStore, type DirectoryStore } from '../shared/organization/store.ts';

export interface DirectoryDependencies {
  organizations: Pick<OrganizationsClient, 'send'>;
  store: DirectoryStore;
  log: Log;
  reader?: ReaderOptions;
}

export interface DirectoryResult {
  accounts: number;
  ous: number;
  calls: number;
  retries: number;
  bytes: number;
}

export function createDirectoryHandler(deps: DirectoryDependencies): () => Promise<DirectoryResult> {
  return async () => {
    const { snapshot, stats } = await readOrganization(deps.organizations, deps.reader);
    const { bytes } = await deps.store.put(snapshot);
    const result: DirectoryResult = { accounts: snapshot.accounts.length, ous: stats.ous, calls: stats.calls, retries: stats.retries, bytes };
    deps.log.info('organization directory stored', { ...result, organizationId: snapshot.organizationId });
    return result;
  };
}

let production: (() => Promise<DirectoryResult>) | undefined;

/** The Lambda entry point (`functions/directory.handler`). */
export async function handler(): Promise<DirectoryResult> {
  if (!production) {
    const table = process.env['TRAILWATCH_DIRECTORY_TABLE']?.trim();
    if (!table) throw new Error('TRAILWATCH_DIRECTORY_TABLE is not set');
    // Organizations is a global service whose endpoint is in us-east-1; one retry layer (ours, paced).
    production = createDirectoryHandler({
      organizations: new OrganizationsClient({ region: 'us-east-1', maxAttempts: 1 }),
      store: new DynamoDirectoryStore(new DynamoDBClient({}), table),
      log: createLambdaLogger({ serviceName: 'trailwatch-directory' }),
    });
  }
  return production();
}
