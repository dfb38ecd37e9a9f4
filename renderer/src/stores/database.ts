import { create } from 'zustand';
import type { DatabaseStatus } from '../../../shared/contract/channels';
import type { TransportState } from '../../../shared/contract/backend';

interface ConnectionState {
  database?: DatabaseStatus;
  transport: TransportState | { kind: 'connecting' };
  setDatabase(status: DatabaseStatus): void;
  setTransport(state: TransportState): void;
}

export const useConnection = create<ConnectionState>((set) => ({
  transport: { kind: 'connecting' },
  setDatabase(status) {
    set({ database: status });
  },
  setTransport(state) {
    set({ transport: state });
  },
}));

export type BannerKind = { level: 'error' | 'warn'; title: string; detail?: string } | undefined;

/** What the top banner says, if anything: the backend being gone outranks the database being gone. */
export function bannerFor(database: DatabaseStatus | undefined, transport: ConnectionState['transport']): BannerKind {
  if (transport.kind === 'reconnecting') {
    return { level: 'error', title: 'Connection to the app host lost — reconnecting…', detail: transport.reason };
  }
  if (transport.kind === 'closed') return { level: 'error', title: 'Disconnected from the app host', detail: transport.reason };
  if (!database) return undefined;
  const buffering = database.spool.buffering;
  const down = database.status === 'reconnecting' || database.status === 'failed' || database.status === 'disconnected';
  if (down && database.source !== 'none') {
    return {
      level: 'error',
      title: 'Database unreachable',
      detail: buffering > 0 ? `buffering ${buffering} writes locally; they are replayed when it returns` : database.reason,
    };
  }
  if (buffering > 0) {
    return { level: 'warn', title: `Buffering ${buffering} writes`, detail: 'replaying them into MongoDB' };
  }
  const notice = migrationNotice(database);
  if (notice) return { level: 'warn', title: notice.title, detail: notice.detail };
  return undefined;
}

/** What the user runs to migrate; the app never migrates by itself. Backticks mark commands. */
export const MIGRATE_ADVICE = 'run `npm run db -- migrate --dry-run`, then `--apply`';

/** The notice for a database still holding documents in the monitor's previous layout, if it does. */
export function migrationNotice(database: DatabaseStatus | undefined): { title: string; detail: string; total: number } | undefined {
  const migration = database?.migration;
  if (!database || database.status !== 'connected' || !migration?.needed) return undefined;
  const total = Object.values(migration.collections).reduce((sum, n) => sum + n, 0);
  const documents = `${total.toLocaleString('en-US')} document${total === 1 ? '' : 's'}`;
  return { title: `This database holds ${documents} in the previous layout`, detail: MIGRATE_ADVICE, total };
}
