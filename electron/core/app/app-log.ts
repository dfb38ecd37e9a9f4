import { randomUUID } from 'node:crypto';
import type { LogLevel, LogLine } from '../../../shared/contract/domain';
import { maskSecretsIn } from '../db/connection-string';
import type { Emit } from './ports';

const ORDER: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

/**
 * The shell's own log: every line is masked (connection strings never leave in clear), kept in a
 * bounded ring for `logs.tail`, published as a `log.line` event, and echoed to stderr.
 */
export class AppLog {
  private readonly ring: LogLine[] = [];

  constructor(
    private readonly emit: Emit | undefined,
    private readonly capacity = 2000,
    private readonly echo: (line: LogLine) => void = (line) => console.error(`[${line.level}] ${line.source ?? 'app'}: ${line.message}`),
  ) {}

  write(level: LogLevel, message: string, source = 'app', data?: Record<string, unknown>): void {
    const line: LogLine = { entryId: randomUUID(), level, at: Date.now(), message: maskSecretsIn(message), source };
    if (data) line.data = JSON.parse(maskSecretsIn(JSON.stringify(data))) as Record<string, unknown>;
    this.ring.push(line);
    if (this.ring.length > this.capacity) this.ring.splice(0, this.ring.length - this.capacity);
    this.echo(line);
    this.emit?.('log.line', line);
  }

  info = (message: string, source?: string): void => this.write('info', message, source);
  warn = (message: string, source?: string): void => this.write('warn', message, source);
  error = (message: string, source?: string): void => this.write('error', message, source);

  tail(limit: number, level?: LogLevel): LogLine[] {
    const min = level ? ORDER[level] : 0;
    return this.ring.filter((l) => ORDER[l.level] >= min).slice(-limit);
  }
}
