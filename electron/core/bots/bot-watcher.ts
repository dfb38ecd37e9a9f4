import type { BotWatch } from '../../../shared/contract/bots';
import { BOT_COLLECTIONS as C, millis, type Db, type RawDocument } from './raw';

/** What a bot writes that the UI shows live. Candles are left out: a bot writes them constantly and the list refreshes prices on its own. */
export const WATCHED_COLLECTIONS: readonly string[] = [
  C.notification,
  C.signal,
  C.schedule,
  C.strategy,
  C.session,
  C.state,
  C.memory,
  C.recent,
  C.storage,
  C.risk,
  C.partial,
  C.breakeven,
];

export interface BotChange {
  collection: string;
  /** The document as it is now. */
  doc: RawDocument;
}

export interface BotWatcherOptions {
  onChanges(changes: BotChange[]): void;
  log?: (level: 'info' | 'warn' | 'error', message: string) => void;
  /** Poll period when the server has no change streams. */
  intervalMs?: number;
  /** Force a mode (tests); by default change streams when the server is a replica set or mongos. */
  mode?: 'change-stream' | 'poll';
}

/** Documents written up to this long before the newest one seen are read again: writers' clocks and commit order differ a little. */
const LOOKBACK_MS = 2_000;
const POLL_BATCH = 500;
/** Change-stream events are handed on in small groups, not one callback per document. */
const STREAM_FLUSH_MS = 50;

interface PollCursor {
  collection: string;
  /** Newest updatedDate (createDate for notifications) seen so far. */
  since: number;
  /** Ids (with their timestamp) already reported within the look-back window. */
  seen: Map<string, number>;
  /** The last poll of this collection failed (logged once until it reads again). */
  failing?: boolean;
  /** Insert-only collections: the document count at the last read, and polls skipped since. */
  count?: number;
  skipped?: number;
}

/**
 * Collections a bot only inserts into (notifications are upserted once per id and never removed):
 * while their count stands still there is nothing new, and the count is metadata, where a range
 * query may cost a scan (mongo-java-server scans for ranges: ~0.3 s at 100,000 notifications).
 */
const INSERT_ONLY: ReadonlySet<string> = new Set([C.notification]);
/** Read an insert-only collection anyway after this many unchanged counts, in case a count misleads. */
const MAX_SKIPPED_POLLS = 10;

/**
 * Notices what other processes write to the bot collections. On a replica set (or mongos) it
 * opens one change stream on the database; on a standalone server, such as the embedded
 * mongo-java-server, it polls each collection for documents newer than the last seen, by
 * `createDate` for notifications (which @backtest-kit/mongo indexes with `backtest`) and
 * `updatedDate` for the rest, each poll with a limit. It never writes.
 */
export class BotWatcher {
  private state: BotWatch = { mode: 'off', detail: 'not started' };
  private timer: NodeJS.Timeout | undefined;
  private polling = false;
  private cursors: PollCursor[] = [];
  private stream: { close(): Promise<void> } | undefined;
  private pending: BotChange[] = [];
  private flushTimer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly db: Db,
    private readonly options: BotWatcherOptions,
  ) {}

  get watch(): BotWatch {
    return this.state;
  }

  private get intervalMs(): number {
    return this.options.intervalMs ?? 250;
  }

  async start(): Promise<BotWatch> {
    const topology = await this.topology();
    const wantStream = this.options.mode ? this.options.mode === 'change-stream' : topology.changeStreams;
    if (wantStream) {
      try {
        this.openStream(topology.detail);
        return this.state;
      } catch (error) {
        this.options.log?.('warn', `bot watcher: change stream refused (${message(error)}), polling instead`);
      }
    }
    await this.startPolling(wantStream ? 'change stream refused by the server' : topology.detail);
    return this.state;
  }

  /** `hello` (or the older `isMaster`): a replica set names itself, mongos says isdbgrid. */
  private async topology(): Promise<{ changeStreams: boolean; detail: string }> {
    let hello: RawDocument | undefined;
    for (const command of [{ hello: 1 }, { isMaster: 1 }]) {
      try {
        hello = (await this.db.admin().command(command)) as RawDocument;
        break;
      } catch {
        /* older servers answer only isMaster; mongo-java-server may answer only one of them */
      }
    }
    if (typeof hello?.setName === 'string') return { changeStreams: true, detail: `replica set ${hello.setName}` };
    if (hello?.msg === 'isdbgrid') return { changeStreams: true, detail: 'sharded cluster (mongos)' };
    return { changeStreams: false, detail: 'standalone server: no change streams' };
  }

  private openStream(detail: string): void {
    const openedAt = Date.now();
    const stream = this.db.watch([{ $match: { 'ns.coll': { $in: [...WATCHED_COLLECTIONS] }, operationType: { $in: ['insert', 'update', 'replace'] } } }], {
      fullDocument: 'updateLookup',
    });
    stream.on('change', (change) => {
      const c = change as { ns?: { coll?: string }; fullDocument?: RawDocument | null };
      const collection = c.ns?.coll;
      if (!collection || !c.fullDocument) return;
      this.pending.push({ collection, doc: c.fullDocument });
      this.flushTimer ??= setTimeout(() => this.flush(), STREAM_FLUSH_MS);
    });
    stream.on('error', (error) => {
      if (this.stopped) return;
      this.options.log?.('warn', `bot watcher: change stream failed (${message(error)}), polling instead`);
      this.stream = undefined;
      void stream.close().catch(() => undefined);
      void this.startPolling(`change stream failed: ${message(error)}`, openedAt);
    });
    this.stream = stream;
    this.state = { mode: 'change-stream', detail };
  }

  private flush(): void {
    this.flushTimer = undefined;
    const batch = this.pending;
    this.pending = [];
    if (batch.length > 0) this.deliver(batch);
  }

  private deliver(changes: BotChange[]): void {
    try {
      this.options.onChanges(changes);
    } catch (error) {
      this.options.log?.('error', `bot watcher: handling ${changes.length} change(s) failed: ${message(error)}`);
    }
  }

  private field(collection: string): 'createDate' | 'updatedDate' {
    return collection === C.notification ? 'createDate' : 'updatedDate';
  }

  /** Documents from the look-back window on, or from a time on (`from`: the newest seen; its millisecond may hold more). */
  private filter(cursor: PollCursor, from?: number): RawDocument {
    const field = this.field(cursor.collection);
    const range = { [field]: { $gte: new Date(Math.max(0, from ?? cursor.since - LOOKBACK_MS)) } };
    // notification-items has the index (backtest, createDate -1): name both so the server can use it.
    return cursor.collection === C.notification ? { backtest: { $in: [false, true] }, ...range } : range;
  }

  /**
   * `from`: after a change stream failed, poll from when it was opened, so what was written while
   * it looked open is still reported. Otherwise start at the newest document: what is there is not news.
   */
  private async startPolling(detail: string, from?: number): Promise<void> {
    if (this.stopped) return;
    this.cursors = await Promise.all(
      WATCHED_COLLECTIONS.map(async (collection) => {
        const cursor: PollCursor = { collection, since: from ?? Date.now(), seen: new Map() };
        if (from !== undefined) return cursor;
        try {
          const field = this.field(collection);
          const newest = await this.db.collection<RawDocument>(collection).findOne({}, { sort: { [field]: -1 }, projection: { [field]: 1 } });
          const t = millis(newest?.[field]);
          if (t !== undefined) cursor.since = t;
          // What is already there is not news: remember it without reporting it.
          await this.mayHaveNews(cursor);
          await this.read(cursor);
        } catch (error) {
          this.options.log?.('warn', `bot watcher: cannot read ${collection} yet (${message(error)})`);
        }
        return cursor;
      }),
    );
    this.state = { mode: 'poll', intervalMs: this.intervalMs, detail };
    this.schedule();
  }

  private schedule(): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.pollOnce(), this.intervalMs);
    this.timer.unref();
  }

  /** Reads one cursor's new documents and advances it. */
  private async read(cursor: PollCursor): Promise<RawDocument[]> {
    const field = this.field(cursor.collection);
    const find = (filter: RawDocument): Promise<RawDocument[]> =>
      this.db.collection<RawDocument>(cursor.collection).find(filter, { sort: { [field]: 1 }, limit: POLL_BATCH }).toArray();
    const fresh: RawDocument[] = [];
    const take = (docs: RawDocument[]): void => {
      for (const doc of docs) {
        const t = millis(doc[field]);
        if (t === undefined) continue;
        // An upsert that changed a document again gives it a new updatedDate: report it again.
        const id = `${String(doc._id)}@${millis(doc.updatedDate) ?? t}`;
        if (cursor.seen.has(id)) continue;
        cursor.seen.set(id, t);
        fresh.push(doc);
        if (t > cursor.since) cursor.since = t;
      }
    };
    const window = await find(this.filter(cursor));
    take(window);
    // A busy writer can put more than a batch into the look-back window alone: then read on from
    // the newest seen, or the same window would come back every poll and the cursor never move.
    if (window.length === POLL_BATCH) take(await find(this.filter(cursor, cursor.since)));
    const horizon = cursor.since - LOOKBACK_MS;
    for (const [id, t] of cursor.seen) if (t < horizon) cursor.seen.delete(id);
    return fresh;
  }

  /** False when an insert-only collection's count has not moved since the last read (and it is not time to read anyway). */
  private async mayHaveNews(cursor: PollCursor): Promise<boolean> {
    if (!INSERT_ONLY.has(cursor.collection)) return true;
    const count = await this.db.collection(cursor.collection).estimatedDocumentCount();
    if (count === cursor.count && (cursor.skipped ?? 0) < MAX_SKIPPED_POLLS) {
      cursor.skipped = (cursor.skipped ?? 0) + 1;
      return false;
    }
    cursor.count = count;
    cursor.skipped = 0;
    return true;
  }

  /** One poll of every collection; exposed so tests can drive it without waiting. */
  async pollOnce(): Promise<number> {
    if (this.polling || this.stopped) return 0;
    this.polling = true;
    let count = 0;
    try {
      const changes: BotChange[] = [];
      await Promise.all(
        this.cursors.map(async (cursor) => {
          try {
            if (!(await this.mayHaveNews(cursor))) return;
            const fresh = await this.read(cursor);
            // A full batch may have left more behind: read again next time whatever the count says.
            if (fresh.length >= POLL_BATCH) cursor.count = undefined;
            const found = fresh.map((doc) => ({ collection: cursor.collection, doc }));
            // Notifications (the unread badge, OS notifications) go at once, not after the slowest collection.
            if (cursor.collection === C.notification) {
              count += found.length;
              if (found.length > 0) this.deliver(found);
            } else changes.push(...found);
            if (cursor.failing) {
              cursor.failing = false;
              this.options.log?.('info', `bot watcher: reading ${cursor.collection} again`);
            }
          } catch (error) {
            // Once per outage, not every poll: the database status already tells the user it is down.
            if (!cursor.failing) this.options.log?.('warn', `bot watcher: polling ${cursor.collection} failed (${message(error)}); trying again every ${this.intervalMs} ms`);
            cursor.failing = true;
          }
        }),
      );
      count += changes.length;
      if (changes.length > 0) this.deliver(changes);
    } finally {
      this.polling = false;
      this.schedule();
    }
    return count;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.timer = undefined;
    const stream = this.stream;
    this.stream = undefined;
    await stream?.close().catch(() => undefined);
    this.state = { mode: 'off', detail: 'stopped' };
  }
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
