import { createRequire } from 'node:module';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CreateTableCommand, DynamoDBClient, waitUntilTableExists } from '@aws-sdk/client-dynamodb';

/** dynalite ships no types; this is the one call we use. */
type DynaliteFactory = (options: { createTableMs?: number; deleteTableMs?: number; updateTableMs?: number }) => Server;
const dynalite = createRequire(import.meta.url)('dynalite') as DynaliteFactory;

/** A real DynamoDB API (dynalite, in memory) on 127.0.0.1 with a random port, plus a client for it. */
export interface LocalDynamo {
  client: DynamoDBClient;
  endpoint: string;
  /** Creates an on-demand table keyed on `pk` and returns once it is ACTIVE. */
  createTable(name: string): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Starts dynalite. A new table is CREATING until a timer in dynalite flips it to ACTIVE (even with
 * `createTableMs: 0`); on a loaded machine a put can arrive first and fail with
 * ResourceNotFoundException. So `createTable` waits with the SDK's own waiter (DescribeTable until
 * ACTIVE), the same way code against real DynamoDB must. No timing assumption is left: the wait is
 * bounded only by the generous `maxWaitTime`.
 */
export async function startDynalite(): Promise<LocalDynamo> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'AKIDLOCAL', secretAccessKey: 'local' } });
  return {
    client,
    endpoint,
    async createTable(name: string) {
      await client.send(
        new CreateTableCommand({
          TableName: name,
          BillingMode: 'PAY_PER_REQUEST',
          AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
          KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        }),
      );
      await waitUntilTableExists({ client, minDelay: 0.05, maxDelay: 0.5, maxWaitTime: 120 }, { TableName: name });
    },
    async stop() {
      client.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** dynalite with one ACTIVE table (the rate tests' shape). */
export async function startWithTable(table: string): Promise<{ client: DynamoDBClient; stop(): Promise<void> }> {
  const db = await startDynalite();
  await db.createTable(table);
  return db;
}
