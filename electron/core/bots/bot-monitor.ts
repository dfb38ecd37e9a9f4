import { botIdOf, type BotDetail, type BotKey, type BotSummary, type BotWatch, type BotsChanged } from '../../../shared/contract/bots';
import type { LogSubject } from '../../../shared/domain/logs';
import type { Notification } from '../../../shared/domain/notifications';
import { notificationFromDocument } from './bot-notifications';
import { BotReader, noteDocument, type BotIndex } from './bot-reader';
import { BotWatcher, type BotChange } from './bot-watcher';
import { BOT_COLLECTIONS as C, record, str, type Db, type RawDocument } from './raw';

export interface BotMonitorOptions {
  /** A notification a bot (another process) wrote: hand it to the same path as the app's own. */
  onNotifications(notifications: Notification[]): void;
  /** Anything a bot wrote, for the Bots view. */
  onBotsChanged(event: BotsChanged): void;
  log?: (level: 'info' | 'warn' | 'error', message: string, subject?: LogSubject) => void;
  intervalMs?: number;
  mode?: 'change-stream' | 'poll';
}

/** The bot index is rebuilt from a full scan this often; in between the watcher's changes keep it current. */
const REDISCOVER_MS = 10 * 60_000;

/** How many notification ids are remembered to tell news from an echo. */
const REMEMBERED_IDS = 5_000;

/** Ids seen recently, oldest forgotten first. */
class RecentIds {
  private readonly ids = new Set<string>();

  /** True when the id is new (and remembers it). */
  add(id: string): boolean {
    if (this.ids.has(id)) return false;
    this.ids.add(id);
    if (this.ids.size > REMEMBERED_IDS) this.ids.delete(this.ids.values().next().value as string);
    return true;
  }
}

function keyOfChange(change: BotChange): BotKey | undefined {
  const doc = change.doc;
  const payload = record(doc.payload);
  const source = str(doc.strategyName) ? doc : payload;
  const strategyName = str(source?.strategyName);
  const exchangeName = str(source?.exchangeName);
  const symbol = str(source?.symbol);
  if (!strategyName || !exchangeName || !symbol) return undefined;
  const frameName = str(doc.frameName) ?? str(payload?.frameName) ?? '';
  const backtest = typeof doc.backtest === 'boolean' ? doc.backtest : frameName !== '';
  return { strategyName, exchangeName, symbol, frameName, mode: backtest ? 'backtest' : 'live' };
}

/**
 * The Bots feature over one database: reads bots on request and watches for what they write,
 * turning new notification-items documents into inbox notifications and everything else into
 * `bots.changed`. Rebinds when the app's database changes.
 */
export class BotMonitor {
  private reader: BotReader | undefined;
  private watcher: BotWatcher | undefined;
  private starting: Promise<void> = Promise.resolve();
  private readonly announced = new RecentIds();
  /** Bots found by the last full scan, kept current from changes; undefined until the first list. */
  private known: { index: BotIndex; at: number } | undefined;
  /** Changes that arrive while a scan runs, applied to its result. */
  private duringScan: BotChange[] | undefined;
  private scanning: Promise<BotIndex> | undefined;

  constructor(private readonly options: BotMonitorOptions) {}

  get watch(): BotWatch {
    return this.watcher?.watch ?? { mode: 'off', detail: 'no database' };
  }

  /** Switches to another database (or none). */
  attach(db: Db | undefined): Promise<void> {
    this.starting = this.starting.then(async () => {
      const old = this.watcher;
      this.watcher = undefined;
      this.reader = undefined;
      this.known = undefined;
      await old?.stop();
      if (!db) return;
      this.reader = new BotReader(db);
      const watcher = new BotWatcher(db, {
        onChanges: (changes) => this.handle(changes),
        log: this.options.log,
        ...(this.options.intervalMs !== undefined ? { intervalMs: this.options.intervalMs } : {}),
        ...(this.options.mode ? { mode: this.options.mode } : {}),
      });
      this.watcher = watcher;
      try {
        const state = await watcher.start();
        this.options.log?.('info', `watching backtest-kit bots: ${state.mode === 'poll' ? `polling every ${state.intervalMs} ms` : 'change streams'} (${state.detail})`);
      } catch (error) {
        this.options.log?.('error', `cannot watch backtest-kit bots: ${error instanceof Error ? error.message : String(error)}`);
      }
    });
    return this.starting;
  }

  /**
   * Tells the monitor a notification went out through the app's own path (a paper or live run of
   * the monitor writes it too): it is not announced a second time when the watcher sees it.
   * Returns false when it was already announced.
   */
  noteAnnounced(notificationId: string): boolean {
    return this.announced.add(notificationId);
  }

  private handle(changes: BotChange[]): void {
    const notifications: Notification[] = [];
    const bots = new Map<string, BotKey>();
    const collections = new Set<string>();
    this.duringScan?.push(...changes);
    for (const change of changes) {
      collections.add(change.collection);
      if (this.known) noteDocument(this.known.index, change.collection, change.doc);
      const key = keyOfChange(change);
      if (key) bots.set(JSON.stringify(key), key);
      if (change.collection !== C.notification) continue;
      const n = notificationFromDocument(change.doc);
      if (!('notificationId' in n)) {
        const bot = key ? ` of ${key.strategyName} ${key.symbol} (${key.exchangeName})` : '';
        this.options.log?.('warn', `bot notification ${String((change.doc as RawDocument)._id)}${bot} not shown: ${n.skipped}`, key ? { kind: 'bot', botId: botIdOf(key) } : undefined);
        continue;
      }
      if (this.announced.add(n.notificationId)) notifications.push(n);
    }
    if (notifications.length > 0) this.options.onNotifications(notifications.sort((a, b) => a.createdAt - b.createdAt));
    this.options.onBotsChanged({ bots: [...bots.values()], collections: [...collections].sort(), watch: this.watch, at: Date.now() });
  }

  /** Whether a database is attached (the Bots view says "no database" otherwise). */
  get attached(): boolean {
    return this.reader !== undefined;
  }

  private get ready(): BotReader {
    if (!this.reader) throw new Error('no database');
    return this.reader;
  }

  async list(): Promise<{ bots: BotSummary[]; watch: BotWatch }> {
    await this.starting;
    const reader = this.ready;
    // The index is only as current as the watcher keeps it: without one, scan every time.
    const current = this.known && this.watch.mode !== 'off' && Date.now() - this.known.at < REDISCOVER_MS;
    const index = current ? this.known!.index : await this.scan(reader);
    return { bots: await reader.summaries(index), watch: this.watch };
  }

  /** One full scan at a time; what changes meanwhile is noted on its result. */
  private scan(reader: BotReader): Promise<BotIndex> {
    this.scanning ??= (async () => {
      this.duringScan = [];
      try {
        const index = await reader.discover();
        for (const change of this.duringScan) noteDocument(index, change.collection, change.doc);
        if (this.reader === reader) this.known = { index, at: Date.now() };
        return index;
      } finally {
        this.duringScan = undefined;
        this.scanning = undefined;
      }
    })();
    return this.scanning;
  }

  async get(key: BotKey): Promise<{ bot: BotDetail; watch: BotWatch } | undefined> {
    await this.starting;
    const bot = await this.ready.get(key);
    return bot && { bot, watch: this.watch };
  }

  /** Drives one poll now (tests). */
  pollNow(): Promise<number> {
    return this.watcher?.pollOnce() ?? Promise.resolve(0);
  }

  async close(): Promise<void> {
    await this.attach(undefined);
  }
}
