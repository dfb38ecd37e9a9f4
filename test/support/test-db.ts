import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { ConnectionManager, type ConnectionManagerOptions } from '../../electron/core/db/connection-manager';

/** The test server's URI with a database of its own, so suites never see each other's data. */
export function freshDatabaseUri(suite: string, base = inject('mongoUri')): string {
  const url = new URL(base);
  const name = `bmtest_${suite.replace(/[^a-zA-Z0-9]/g, '_').slice(0, 30)}_${randomBytes(4).toString('hex')}`;
  url.pathname = `/${name}`;
  return url.toString();
}

export interface TestDb {
  manager: ConnectionManager;
  uri: string;
  /** Drops the suite's database and closes the connection. */
  dispose(): Promise<void>;
}

export async function openTestDb(suite: string, options: ConnectionManagerOptions = {}): Promise<TestDb> {
  const uri = freshDatabaseUri(suite);
  const manager = new ConnectionManager({ uri, ...options });
  await manager.connect();
  return {
    manager,
    uri,
    async dispose() {
      if (manager.isConnected) await manager.connection.dropDatabase().catch(() => undefined);
      await manager.close();
    },
  };
}
