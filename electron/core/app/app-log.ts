import { randomUUID } from 'node:crypto';
import type { LogLevel, LogLine, LogSubject } from '../../../shared/contract/domain';
import { maskSecretsIn } from '../db/connection-string';
import type { Emit, LogSink } from './ports';

const ORDER: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

/** How the app's parts write a line: `subject` names what it concerns (the Logs view links it). */
export type PartLog = (level: 'info' | 'warn' | 'error', message: string, subject?: LogSubject) => void;

/**
 * The shell's own log: every line is masked (connection strings never leave in clear), written to
 * the JSONL log once the persistence layer is up (until then kept in a bounded ring), published as
 * a `log.line` event, and echoed to stderr.
 */
export class AppLog {
  private readonly ring: LogLine[] = [];
  private sink: LogSink | undefined;

  constructor(
    private readonly emit: Emit | undefined,
    private readonly capacity = 2000,
    private readonly echo: (line: LogLine) => void = (line) => console.error(`[${line.level}] ${line.source ?? 'app'}: ${line.message}`),
  ) {}

  /** From now on lines go to the JSONL log; `logs.tail` reads it back from there. */
  attachSink(sink: LogSink): void {
    this.sink = sink;
    // Lines from before the log was ready (startup) go to the file too.
    for (const { entryId: _id, at: _at, ...input } of this.ring.splice(0)) void sink(input).catch(() => undefined);
  }

  write(level: LogLevel, message: string, source = 'app', data?: Record<string, unknown>, subject?: LogSubject): void {
    const line: LogLine = { entryId: randomUUID(), level, at: Date.now(), message: maskSecretsIn(message), source };
    if (subject) line.subject = subject;
    if (data) line.data = JSON.parse(maskSecretsIn(JSON.stringify(data))) as Record<string, unknown>;
    if (this.sink) {
      const { entryId: _id, at: _at, ...input } = line;
      this.sink(input).then(
        (stored) => this.emit?.('log.line', stored),
        (error: unknown) => {
          // The log must never take the app down; keep the line in memory and say why once.
          this.sink = undefined;
          this.remember(line);
          this.remember({ ...line, entryId: randomUUID(), level: 'error', message: `the JSONL log failed (${error instanceof Error ? error.message : String(error)}); logging to memory only`, source: 'log' });
        },
      );
      this.echo(line);
      return;
    }
    this.remember(line);
  }

  private remember(line: LogLine): void {
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
