import { randomBytes } from 'node:crypto';
import type { AdapterName } from '../../../../shared/domain/persist-matrix';
import type { LogLevel, LogLine, LogSubject } from '../../../../shared/domain/logs';
import type { LogKey } from '../subsystems';
import type { TypedStore } from '../typed-store';

export interface LogInput {
  level: LogLevel;
  message: string;
  source?: string;
  /** What the line concerns (a run, a candle series): the Logs view links it. */
  subject?: LogSubject;
  data?: Record<string, unknown>;
}

interface Tailable {
  tail(count: number): Promise<LogLine[]>;
}

function isTailable(value: unknown): value is Tailable {
  return typeof (value as Partial<Tailable> | null)?.tail === 'function';
}

let sequence = 0;

/** Time-ordered, unique across processes: ms timestamp, a per-process sequence, random bytes. */
function newEntryId(at: number): string {
  sequence = (sequence + 1) % 0x1000000;
  return `${at.toString(36).padStart(9, '0')}-${sequence.toString(36).padStart(5, '0')}-${randomBytes(3).toString('hex')}`;
}

/** The Log subsystem: append lines, read the last N. */
export class LogService {
  constructor(
    private readonly store: TypedStore<LogKey, LogLine>,
    private readonly defaults: { runId?: string; source?: string } = {},
  ) {}

  get adapter(): AdapterName {
    return this.store.adapter;
  }

  async append(input: LogInput): Promise<LogLine> {
    const at = Date.now();
    const line = this.store.checkValue({
      entryId: newEntryId(at),
      at,
      ...(this.defaults.runId !== undefined ? { runId: this.defaults.runId } : {}),
      ...(this.defaults.source !== undefined ? { source: this.defaults.source } : {}),
      ...input,
    });
    await this.store.write({ entryId: line.entryId }, line);
    return line;
  }

  debug(message: string, data?: Record<string, unknown>): Promise<LogLine> {
    return this.append({ level: 'debug', message, data });
  }

  info(message: string, data?: Record<string, unknown>): Promise<LogLine> {
    return this.append({ level: 'info', message, data });
  }

  warn(message: string, data?: Record<string, unknown>): Promise<LogLine> {
    return this.append({ level: 'warn', message, data });
  }

  error(message: string, data?: Record<string, unknown>): Promise<LogLine> {
    return this.append({ level: 'error', message, data });
  }

  /** The last `count` lines, oldest first. */
  async tail(count: number): Promise<LogLine[]> {
    if (!Number.isInteger(count) || count < 1 || count > 10_000) throw new RangeError(`tail: count must be a whole number from 1 to 10000, got ${count}`);
    if (isTailable(this.store.inner)) return this.store.inner.tail(count);
    const page = await this.store.list({ sortBy: 'at', order: 'desc', limit: count });
    return page.items.map((e) => e.value).reverse();
  }
}
