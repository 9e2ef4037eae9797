// The notifier tests' local DynamoDB: the shared helper (tables are ACTIVE before use), and the
// fixture four notifier suites share.
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { startDynalite, type LocalDynamo } from '../helpers/dynalite.ts';

export { startDynalite, type LocalDynamo };

/** The current test's notifier tables (`notifierTables`). */
export interface NotifierTables {
  /** The suite's dynalite. */
  readonly db: LocalDynamo;
  /** This test's dedup (and incident) table. */
  readonly dedup: string;
  /** This test's digest table. */
  readonly digest: string;
}

/**
 * One dynalite for the calling `describe` block and, before each of its tests, a new pair of ACTIVE
 * tables `<prefix>dedup<n>` and `<prefix>digest<n>`, so no test sees another's items. Call it at the
 * top of the block, before the block's own `beforeEach` (hooks run in the order they are declared),
 * and read the fields inside hooks and tests: they name the current test's tables.
 */
export function notifierTables(prefix = ''): NotifierTables {
  let db: LocalDynamo | undefined;
  let n = 0;
  beforeAll(async () => {
    db = await startDynalite();
  });
  afterAll(async () => db?.stop());
  beforeEach(async () => {
    n += 1;
    await db?.createTable(`${prefix}dedup${n}`);
    await db?.createTable(`${prefix}digest${n}`);
  });
  return {
    get db(): LocalDynamo {
      if (!db) throw new Error('notifierTables: dynalite is not started yet (read it inside a hook or a test)');
      return db;
    },
    get dedup() {
      return `${prefix}dedup${n}`;
    },
    get digest() {
      return `${prefix}digest${n}`;
    },
  };
}
