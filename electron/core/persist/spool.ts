import { EventEmitter } from 'node:events';
import { appendFile, mkdir, open, readFile, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Subsystem } from '../../../shared/domain/persist-matrix';
import { CorruptEntryError, type ContextKey } from './contract';

/** One buffered MongoDB write, in the order it was made. */
export interface SpoolEntry {
  seq: number;
  at: number;
  subsystem: Subsystem;
  op: 'write' | 'remove';
  /** Canonical key text (see canonicalKey), so reads can find the newest spooled value. */
  keyId: string;
  key: ContextKey;
  value?: unknown;
}

export type NewSpoolEntry = Omit<SpoolEntry, 'seq' | 'at'>;

export interface ReplayOptions {
  apply(entry: SpoolEntry): Promise<void>;
  /** A transient failure stops the replay (it resumes later); any other one sets the entry aside. */
  isTransient(error: unknown): boolean;
}

export interface SpoolEvents {
  /** How many writes are buffered, after every change ("buffering N writes"). */
  size: [number];
  /** An entry MongoDB refused for good; it is kept in the `.rejected.jsonl` file beside the spool. */
  rejected: [SpoolEntry, string];
}

interface PendingAppend {
  entry: SpoolEntry;
  resolve(): void;
  reject(error: unknown): void;
}

/**
 * The outage spool: an append-only JSONL file, fsynced before a write is acknowledged, so buffered
 * writes survive a crash or restart. Concurrent appends share one write+fsync (group commit).
 * Entries are replayed strictly in order; the file is emptied only once every entry has landed.
 */
export class WriteSpool extends EventEmitter<SpoolEvents> {
  private readonly entries: SpoolEntry[] = [];
  private readonly newest = new Map<string, SpoolEntry>();
  private readonly waiting: PendingAppend[] = [];
  private flushing: Promise<void> | undefined;
  private replaying: Promise<void> | undefined;
  private nextSeq = 1;
  private inFlight = 0;
  /** File writes and the final truncate run one at a time, so a truncate can never drop a new line. */
  private io: Promise<void> = Promise.resolve();
  private handle: FileHandle | undefined;

  private constructor(readonly path: string) {
    super();
  }

  static async open(path: string): Promise<WriteSpool> {
    const spool = new WriteSpool(path);
    await mkdir(dirname(path), { recursive: true });
    await spool.load();
    spool.handle = await open(path, 'a');
    return spool;
  }

  private async load(): Promise<void> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch {
      return;
    }
    const complete = text.lastIndexOf('\n') + 1;
    if (complete < text.length) {
      // A crash tore the last line; it was never acknowledged, and new lines must not be glued to it.
      const handle = await open(this.path, 'r+');
      await handle.truncate(Buffer.byteLength(text.slice(0, complete)));
      await handle.sync();
      await handle.close();
    }
    const lines = text.slice(0, complete).split('\n');
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!;
      if (line.trim() === '') continue;
      let entry: SpoolEntry;
      try {
        entry = JSON.parse(line) as SpoolEntry;
      } catch (error) {
        // Only disk corruption or a hand edit gets here; refusing to start keeps the buffered writes.
        throw new CorruptEntryError(`${this.path}:${i + 1}`, `${(error as Error).message}; fix or remove that line to continue`);
      }
      this.track(entry);
      this.nextSeq = Math.max(this.nextSeq, entry.seq + 1);
    }
  }

  private slot(subsystem: Subsystem, keyId: string): string {
    return `${subsystem}\u0000${keyId}`;
  }

  private track(entry: SpoolEntry): void {
    this.entries.push(entry);
    this.newest.set(this.slot(entry.subsystem, entry.keyId), entry);
  }

  /** Buffered writes, including ones still being made durable. */
  get size(): number {
    return this.entries.length + this.waiting.length + this.inFlight;
  }

  /** When the oldest buffered write was made (ms), if any. */
  get oldestAt(): number | undefined {
    return this.entries[0]?.at ?? this.waiting[0]?.entry.at;
  }

  /** While anything is buffered, new writes must queue behind it to keep their order. */
  get active(): boolean {
    return this.size > 0;
  }

  /** The newest buffered operation on a key, if any. */
  newestFor(subsystem: Subsystem, keyId: string): SpoolEntry | undefined {
    return this.newest.get(this.slot(subsystem, keyId));
  }

  /** The newest buffered operation of every key of a subsystem. */
  newestOf(subsystem: Subsystem): SpoolEntry[] {
    return [...this.newest.values()].filter((e) => e.subsystem === subsystem);
  }

  append(entry: NewSpoolEntry): Promise<void> {
    if (!this.handle) return Promise.reject(new Error(`the write spool ${this.path} is closed`));
    const full: SpoolEntry = { ...entry, seq: this.nextSeq++, at: Date.now() };
    return new Promise<void>((resolve, reject) => {
      this.waiting.push({ entry: full, resolve, reject });
      this.flushing ??= this.flush();
    });
  }

  private exclusive(task: () => Promise<void>): Promise<void> {
    const run = this.io.then(task);
    this.io = run.catch(() => undefined);
    return run;
  }

  private async flush(): Promise<void> {
    try {
      while (this.waiting.length > 0) {
        const batch = this.waiting.splice(0);
        this.inFlight = batch.length;
        try {
          await this.exclusive(async () => {
            await this.handle!.appendFile(batch.map((p) => `${JSON.stringify(p.entry)}\n`).join(''), 'utf8');
            await this.handle!.datasync();
          });
        } catch (error) {
          this.inFlight = 0;
          for (const p of batch) p.reject(new Error(`cannot buffer a MongoDB write in ${this.path}: ${(error as Error).message}`));
          continue;
        }
        for (const p of batch) this.track(p.entry);
        this.inFlight = 0;
        this.emit('size', this.size);
        for (const p of batch) p.resolve();
      }
    } finally {
      this.flushing = undefined;
    }
  }

  /**
   * Applies buffered entries oldest first (an entry a later one for the same key supersedes is
   * skipped); resolves when the spool is empty or a transient failure stops it.
   */
  replay(options: ReplayOptions): Promise<void> {
    this.replaying ??= this.drain(options).finally(() => {
      this.replaying = undefined;
    });
    return this.replaying;
  }

  private async drain(options: ReplayOptions): Promise<void> {
    while (this.entries.length > 0) {
      const entry = this.entries[0]!;
      const slot = this.slot(entry.subsystem, entry.keyId);
      // A later buffered write to the same key replaces this one anyway; skipping it shortens the replay.
      const superseded = this.newest.get(slot) !== entry;
      try {
        if (!superseded) await options.apply(entry);
      } catch (error) {
        if (options.isTransient(error)) return;
        const reason = error instanceof Error ? error.message : String(error);
        await appendFile(this.path.replace(/\.jsonl$/, '') + '.rejected.jsonl', `${JSON.stringify({ ...entry, reason })}\n`);
        this.emit('rejected', entry, reason);
      }
      this.entries.shift();
      if (this.newest.get(slot) === entry) this.newest.delete(slot);
      this.emit('size', this.size);
    }
    // Only an empty spool is cleared; anything appended meanwhile stays for the next replay.
    await this.exclusive(async () => {
      if (this.size > 0 || !this.handle) return;
      await this.handle.truncate(0);
      await this.handle.sync();
    });
  }

  async close(): Promise<void> {
    await this.flushing;
    await this.replaying;
    await this.handle?.close();
    this.handle = undefined;
  }
}
