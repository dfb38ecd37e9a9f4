import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { AdapterName } from '../../../../shared/domain/persist-matrix';
import type { NewNotification, Notification, NotificationFilter } from '../../../../shared/domain/notifications';
import type { NotificationKey } from '../subsystems';
import type { TypedStore } from '../typed-store';

export interface NotificationPage {
  items: Notification[];
  total: number;
  offset: number;
  limit: number;
  /** Set when MongoDB is unreachable and only notifications buffered during the outage are listed. */
  incomplete?: string;
}

/**
 * The inbox. `append` stores a notification and emits `notification` with it, so the app can
 * stream it to the UI live; `list` is newest first, with paging and filters.
 */
export class NotificationService extends EventEmitter<{ notification: [Notification] }> {
  constructor(
    private readonly store: TypedStore<NotificationKey, Notification>,
    private readonly defaults: { backtest: boolean; runId?: string },
  ) {
    super();
  }

  get adapter(): AdapterName {
    return this.store.adapter;
  }

  async append(input: NewNotification): Promise<Notification> {
    const notification = this.store.checkValue({
      notificationId: randomUUID(),
      createdAt: Date.now(),
      read: false,
      backtest: this.defaults.backtest,
      ...(this.defaults.runId !== undefined ? { runId: this.defaults.runId } : {}),
      ...input,
    });
    await this.store.write({ backtest: notification.backtest, notificationId: notification.notificationId }, notification);
    this.emit('notification', notification);
    return notification;
  }

  private where(filter: NotificationFilter): Record<string, string | boolean | string[]> {
    const where: Record<string, string | boolean | string[]> = {};
    if (filter.type !== undefined) where.type = filter.type;
    if (filter.symbol !== undefined) where.symbol = filter.symbol;
    if (filter.runId !== undefined) where.runId = filter.runId;
    if (filter.unreadOnly) where.read = false;
    return where;
  }

  async list(filter: NotificationFilter = {}, paging: { offset?: number; limit?: number } = {}): Promise<NotificationPage> {
    const page = await this.store.list({
      key: filter.backtest !== undefined ? { backtest: filter.backtest } : undefined,
      where: this.where(filter),
      sortBy: 'createdAt',
      order: 'desc',
      ...paging,
    });
    const items = page.items.map((e) => e.value);
    return { items, total: page.total, offset: page.offset, limit: page.limit, ...(page.incomplete ? { incomplete: page.incomplete } : {}) };
  }

  get(notificationId: string, backtest = this.defaults.backtest): Promise<Notification | null> {
    return this.store.read({ backtest, notificationId });
  }

  /** Marks the given notifications read; returns how many changed. Unknown ids are skipped. */
  async markRead(notificationIds: readonly string[], backtest = this.defaults.backtest): Promise<number> {
    let changed = 0;
    for (const notificationId of notificationIds) {
      const key = { backtest, notificationId };
      const current = await this.store.read(key);
      if (!current || current.read) continue;
      await this.store.write(key, { ...current, read: true });
      changed++;
    }
    return changed;
  }

  /** Marks every unread notification matching the filter read; returns how many changed. */
  async markAllRead(filter: NotificationFilter = {}): Promise<number> {
    let changed = 0;
    let before = Number.POSITIVE_INFINITY;
    // Each pass marks a page read, so the next query for unread ones starts over at offset 0.
    for (;;) {
      const page = await this.store.list({
        key: filter.backtest !== undefined ? { backtest: filter.backtest } : undefined,
        where: this.where({ ...filter, unreadOnly: true }),
        limit: 1_000,
      });
      for (const { key, value } of page.items) await this.store.write(key, { ...value, read: true });
      changed += page.items.length;
      // Stop when done, or when a pass made no headway (never loop on a store that ignores writes).
      if (page.items.length === 0 || page.total <= page.items.length || page.total >= before) return changed;
      before = page.total;
    }
  }

  /**
   * Removes every notification of a run (the user deleted the run); returns how many. Only the app's
   * own: a bot's notifications in a shared database are never removed.
   */
  async removeByRun(runId: string): Promise<number> {
    let removed = 0;
    // Each pass removes a page, so the next starts over; a pass that removes nothing ends it.
    for (let before = Number.POSITIVE_INFINITY; ; ) {
      const page = await this.store.list({ where: { runId }, ownOnly: true, limit: 1_000 });
      if (page.items.length === 0 || page.total >= before) return removed;
      before = page.total;
      for (const { key } of page.items) await this.store.remove(key);
      removed += page.items.length;
    }
  }

  async unreadCount(filter: NotificationFilter = {}): Promise<number> {
    return (await this.list({ ...filter, unreadOnly: true }, { limit: 1 })).total;
  }
}
