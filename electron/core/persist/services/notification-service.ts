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

/** At most this many notifications per batch (MongoDB's adapter splits bulk writes by 1,000 too). */
const BATCH_MAX = 1_000;

/**
 * The unfiltered unread count as of the last exact count, moved by every notification this service
 * stored since: +1 for a new unread one, and for one it already stored since then the change of its
 * read flag (`written`). A notification stored before that count and appended again unread is
 * counted again until the next exact count (its earlier read flag is unknown without a query).
 */
interface Tracked {
  count: number;
  written: Map<string, boolean>;
}

/** Past this many notifications stored since the last exact count, the next tracked count recounts (bounds `written`). */
const TRACKED_MAX = 100_000;

/** A notification's identity in the store (its key), as one string. */
const idOf = (n: Notification): string => `${String(n.backtest)}\u0000${n.notificationId}`;

interface Pending {
  notification: Notification;
  resolve: (stored: Notification) => void;
  reject: (error: unknown) => void;
}

/**
 * The inbox. `append` stores a notification and emits `notification` with it, so the app can
 * stream it to the UI live; `list` is newest first, with paging and filters.
 *
 * Writes are batched: one notification per upsert cannot keep up with a burst (the embedded
 * MongoDB manages a few hundred single upserts a second), so whatever arrives while a batch is
 * being written goes to the adapter as the next batch (MongoDB: one unordered bulkWrite; during an
 * outage the spooling adapter spools the batch, see docs/persistence.md). Each notification is
 * emitted, in the order appended, once its batch is acknowledged. `unreadCount` waits its turn in
 * the same queue, so a count always matches the notifications emitted before it: a recount made
 * during a burst never answers with fewer than the UI has already been shown.
 *
 * The unread count is a count over the whole collection, which mongo-java-server answers by
 * scanning it (about 60 ms at 15,000 notifications): once per batch it was most of the time a
 * notification took to reach the badge. So the service also keeps it: `trackedUnreadCount`
 * answers from the last exact count plus the unread notifications this service has stored since
 * (see `Tracked`), and recounts instead whenever it cannot follow a change (mark read, removal,
 * a failed batch). Writes it cannot see (a bot's, another app's, a notification re-sent after a
 * restart) are caught by the next exact count, which the app makes once a burst settles.
 */
export class NotificationService extends EventEmitter<{ notification: [Notification] }> {
  private pending: Pending[] = [];
  /** Counts waiting for the notifications appended before them (`after`: how many had been appended). */
  private counts: Array<{ after: number; run: () => Promise<void> }> = [];
  private appended = 0;
  private settled = 0;
  private draining = false;
  private tracked: Tracked | undefined;
  /** Moves with every change the tracked count cannot follow; an exact count begun before one is not kept. */
  private generation = 0;
  /** Mark-read and removal calls in progress (they write outside the queue). */
  private changing = 0;

  constructor(
    private readonly store: TypedStore<NotificationKey, Notification>,
    private readonly defaults: { backtest: boolean; runId?: string },
  ) {
    super();
  }

  get adapter(): AdapterName {
    return this.store.adapter;
  }

  /** Stores one notification (in the next batch) and resolves with it once stored and emitted. */
  append(input: NewNotification): Promise<Notification> {
    let notification: Notification;
    try {
      notification = this.store.checkValue({
        notificationId: randomUUID(),
        createdAt: Date.now(),
        read: false,
        backtest: this.defaults.backtest,
        ...(this.defaults.runId !== undefined ? { runId: this.defaults.runId } : {}),
        ...input,
      });
    } catch (error) {
      return Promise.reject(error);
    }
    return new Promise<Notification>((resolve, reject) => {
      this.appended++;
      this.pending.push({ notification, resolve, reject });
      this.drain();
    });
  }

  /** `append` for several at once: the same batch, the same order. */
  appendMany(inputs: readonly NewNotification[]): Promise<Notification[]> {
    return Promise.all(inputs.map((input) => this.append(input)));
  }

  /**
   * One batch or count at a time. The first append of an idle queue waits one turn of the event
   * loop so a burst made in one go shares its batch; later ones collect while the previous batch
   * is written. Counts go between batches.
   */
  private drain(): void {
    if (this.draining) return;
    this.draining = true;
    setImmediate(() => {
      void this.run();
    });
  }

  private async run(): Promise<void> {
    try {
      while (this.pending.length > 0 || this.counts.length > 0) {
        if (this.pending.length > 0) {
          const batch = this.pending.splice(0, BATCH_MAX);
          await this.writeBatch(batch);
          this.settled += batch.length;
        }
        // Counts run alone: one made while the next batch lands could count notifications not yet emitted.
        // One after another, in the order asked: a tracked count asked after an exact one includes what it found.
        const ready = this.counts.filter((c) => c.after <= this.settled);
        this.counts = this.counts.filter((c) => c.after > this.settled);
        for (const count of ready) await count.run();
      }
    } finally {
      this.draining = false;
      if (this.pending.length > 0 || this.counts.length > 0) this.drain();
    }
  }

  private async writeBatch(batch: Pending[]): Promise<void> {
    // A notification appended twice in one batch (a retry) is written once, with its last value.
    const byKey = new Map<string, Notification>();
    for (const { notification: n } of batch) byKey.set(idOf(n), n);
    let refused: Array<{ index: number; error: unknown }>;
    const entries = [...byKey.values()].map((n) => ({ key: { backtest: n.backtest, notificationId: n.notificationId }, value: n }));
    try {
      refused = await this.store.writeBatch(entries);
    } catch (error) {
      // What part of the batch landed is unknown: the next count is an exact one.
      this.untrack();
      for (const p of batch) p.reject(error);
      return;
    }
    const failed = new Map(refused.map((r) => [entries[r.index]!.value.notificationId, r.error]));
    this.track(entries.filter((e) => !failed.has(e.value.notificationId)).map((e) => e.value));
    for (const p of batch) {
      const error = failed.get(p.notification.notificationId);
      if (error !== undefined) {
        p.reject(error);
        continue;
      }
      this.emit('notification', p.notification);
      p.resolve(p.notification);
    }
  }

  /** Moves the tracked count by notifications just stored (see `Tracked`). */
  private track(stored: readonly Notification[]): void {
    const tracked = this.tracked;
    if (!tracked) return;
    for (const n of stored) {
      const id = idOf(n);
      const before = tracked.written.get(id);
      tracked.count += Number(!n.read) - Number(before === false);
      tracked.written.set(id, n.read);
    }
    if (tracked.written.size > TRACKED_MAX) this.untrack();
  }

  private untrack(): void {
    this.tracked = undefined;
    this.generation++;
  }

  /** Runs a change the tracked count cannot follow (mark read, removal): the counts after it are exact. */
  private async untracked<T>(change: () => Promise<T>): Promise<T> {
    this.changing++;
    this.untrack();
    try {
      return await change();
    } finally {
      this.changing--;
      this.untrack();
    }
  }

  /** The exact count; an unfiltered one made while nothing else changed the inbox also re-bases the tracked count. */
  private async recount(filter: NotificationFilter): Promise<number> {
    const generation = this.generation;
    const key = filter.backtest !== undefined ? { backtest: filter.backtest } : undefined;
    // Only the total: no documents fetched or sorted.
    const total = await this.store.count({ key, where: this.where({ ...filter, unreadOnly: true }) });
    const unfiltered = filter.backtest === undefined && filter.type === undefined && filter.symbol === undefined && filter.runId === undefined;
    if (unfiltered && generation === this.generation && this.changing === 0) this.tracked = { count: total, written: new Map() };
    return total;
  }

  /** Resolves once every notification appended so far has been written (or refused). */
  drained(): Promise<void> {
    return this.afterWrites(async () => undefined);
  }

  /** Runs `task` after every notification appended so far is stored (and emitted), before any later one is. */
  private afterWrites<T>(task: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.counts.push({ after: this.appended, run: () => task().then(resolve, reject) });
      this.drain();
    });
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
  markRead(notificationIds: readonly string[], backtest = this.defaults.backtest): Promise<number> {
    return this.untracked(() => this.markEachRead(notificationIds, backtest));
  }

  private async markEachRead(notificationIds: readonly string[], backtest: boolean): Promise<number> {
    const updates: Array<{ key: NotificationKey; value: Notification }> = [];
    for (const notificationId of new Set(notificationIds)) {
      const key = { backtest, notificationId };
      const current = await this.store.read(key);
      if (current && !current.read) updates.push({ key, value: { ...current, read: true } });
    }
    // One batch (one bulkWrite on MongoDB) for a selection, not a write per notification.
    if (updates.length > 0) await this.writeAll(updates);
    return updates.length;
  }

  /** Writes the entries as one batch; the first refusal, if any, fails the call. */
  private async writeAll(entries: Array<{ key: NotificationKey; value: Notification }>): Promise<void> {
    const refused = await this.store.writeBatch(entries);
    if (refused.length > 0) throw refused[0]!.error;
  }

  /** Marks every unread notification matching the filter read; returns how many changed. */
  markAllRead(filter: NotificationFilter = {}): Promise<number> {
    return this.untracked(() => this.markPagesRead(filter));
  }

  private async markPagesRead(filter: NotificationFilter): Promise<number> {
    let changed = 0;
    let before = Number.POSITIVE_INFINITY;
    // Each pass marks a page read, so the next query for unread ones starts over at offset 0.
    for (;;) {
      const page = await this.store.list({
        key: filter.backtest !== undefined ? { backtest: filter.backtest } : undefined,
        where: this.where({ ...filter, unreadOnly: true }),
        limit: 1_000,
      });
      // One batch per page (one bulkWrite on MongoDB) instead of an upsert per notification.
      await this.writeAll(page.items.map(({ key, value }) => ({ key, value: { ...value, read: true } })));
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
  removeByRun(runId: string): Promise<number> {
    return this.untracked(() => this.removePages(runId));
  }

  private async removePages(runId: string): Promise<number> {
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

  /** Counted (exactly, in the database) after the notifications appended before the call are stored (see the class comment). */
  unreadCount(filter: NotificationFilter = {}): Promise<number> {
    return this.afterWrites(() => this.recount(filter));
  }

  /**
   * `unreadCount()` without a query while the service can follow the count (see `Tracked`): at
   * once, counting every notification emitted so far (one still being written is not, and comes
   * with the next call); otherwise an exact count, in its turn like `unreadCount`. For the badge
   * during a burst; pair it with an exact count once the burst settles
   * (electron/core/app/unread-publisher.ts).
   */
  trackedUnreadCount(): Promise<number> {
    if (this.tracked) return Promise.resolve(this.tracked.count);
    return this.afterWrites(async () => this.tracked?.count ?? this.recount({}));
  }
}
