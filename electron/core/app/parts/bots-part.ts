import { ContractFailure } from '../../../../shared/contract/result';
import type { ConnectionManager } from '../../db/connection-manager';
import { BotMonitor } from '../../bots';
import type { PartLog } from '../app-log';
import type { BotsPort, Emit } from '../ports';
import { coalescedTask } from '../coalesced-task';

export interface BotsPartOptions {
  emit: Emit;
  /** The inbox's unread count (the engine part's), sent after bot notifications arrive. */
  unreadCount?: () => Promise<number>;
  log: PartLog;
  intervalMs?: number;
}

export interface BotsPart {
  bots: BotsPort;
  attachDatabase(manager: ConnectionManager | undefined): Promise<void>;
  /**
   * Wraps the emit the other parts use, so a notification the app announces itself is not
   * announced again when the watcher sees its document (and the other way round).
   */
  tapEmit(emit: Emit): Emit;
  close(): Promise<void>;
}

/**
 * backtest-kit bots in the database (electron/core/bots): `bots.list`, `bots.get`, and the live
 * watch that feeds their notifications into the inbox's `notification` / `notifications.unread`
 * events (and so OS notifications) and tells the Bots view what changed (`bots.changed`).
 */
export function createBotsPart(options: BotsPartOptions): BotsPart {
  // One recount at a time; a burst of bot notifications ends with one more recount, not one per notification.
  const publishUnread = coalescedTask(
    async () => {
      if (options.unreadCount) options.emit('notifications.unread', { count: await options.unreadCount() });
    },
    (error: unknown) => options.log('warn', `unread count after bot notifications failed: ${error instanceof Error ? error.message : String(error)}`),
  );

  const monitor = new BotMonitor({
    onNotifications(notifications) {
      for (const n of notifications) options.emit('notification', n);
      publishUnread();
    },
    onBotsChanged(event) {
      options.emit('bots.changed', event);
    },
    log: options.log,
    ...(options.intervalMs !== undefined ? { intervalMs: options.intervalMs } : {}),
  });

  const unavailable = (): never => {
    throw new ContractFailure('unavailable', 'bots are read from the database, and none is connected (see the database status)');
  };

  return {
    bots: {
      async list() {
        if (!monitor.attached) unavailable();
        return monitor.list();
      },
      async get({ strategyName, exchangeName, symbol, frameName, mode }) {
        const key = { strategyName, exchangeName, symbol, frameName, mode };
        if (!monitor.attached) unavailable();
        const found = await monitor.get(key);
        if (!found) throw new ContractFailure('not_found', `no documents of bot ${key.strategyName} · ${key.exchangeName} · ${key.symbol}${key.frameName ? ` · ${key.frameName}` : ''} (${key.mode})`);
        return found;
      },
    },
    attachDatabase(manager) {
      const db = manager?.isConnected ? manager.connection.db : undefined;
      return monitor.attach(db ?? undefined);
    },
    tapEmit(emit) {
      return (event, payload) => {
        if (event === 'notification') {
          const id = (payload as { notificationId: string }).notificationId;
          if (!monitor.noteAnnounced(id)) return;
        }
        emit(event, payload);
      };
    },
    close: () => monitor.close(),
  };
}
