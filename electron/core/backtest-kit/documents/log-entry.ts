import { logSubjectSchema, type LogLevel, type LogLine } from '../../../../shared/domain/logs';
import type { MonitorFields } from './schema';
import { defined, isRecord, millis, num, str, type Fields } from './values';

/**
 * Our LogLine <-> backtest-kit's ILogEntry (log-items `payload`).
 *
 *   entryId   id
 *   at        timestamp (and priority; createdAt is its ISO text)
 *   message   topic
 *   data      args: [data]
 *   level     type: debug / info / warn as is; our `error` is written as `warn` (backtest-kit has
 *             no error level) and kept exactly in monitor.level; a bot's `log` / `agent` read as info
 *   source, runId, subject   monitor.source / monitor.runId / monitor.subject (dropped on read if malformed)
 */
const LEVELS: ReadonlySet<string> = new Set(['debug', 'info', 'warn', 'error']);

export const LOG_PATHS: Readonly<Record<string, string>> = {
  entryId: 'payload.id',
  at: 'payload.timestamp',
  message: 'payload.topic',
  level: 'monitor.level',
  source: 'monitor.source',
  runId: 'monitor.runId',
};

export function logLineToDocument(line: LogLine): { payload: Fields; monitor: MonitorFields } {
  const payload: Fields = {
    id: line.entryId,
    type: line.level === 'error' ? 'warn' : line.level,
    priority: line.at,
    createdAt: new Date(line.at).toISOString(),
    timestamp: line.at,
    methodContext: null,
    executionContext: null,
    topic: line.message,
    args: line.data !== undefined ? [line.data] : [],
  };
  return { payload, monitor: defined({ level: line.level, source: line.source, runId: line.runId, subject: line.subject }) };
}

export function logLineFromDocument(doc: { payload: Fields; entryId?: unknown; createDate?: unknown; monitor?: MonitorFields }): LogLine {
  const { payload } = doc;
  const monitor = doc.monitor ?? {};
  const type = str(payload.type) ?? 'info';
  const level = (monitor.level ?? (LEVELS.has(type) ? type : 'info')) as LogLevel;
  const args = Array.isArray(payload.args) ? payload.args : [];
  let data: Fields | undefined = args.length === 1 && isRecord(args[0]) ? args[0] : args.length > 0 ? { args } : undefined;
  // A bot's entry carries its execution context: shown with the data rather than dropped.
  for (const name of ['methodContext', 'executionContext'] as const) {
    if (isRecord(payload[name])) data = { ...(data ?? {}), [name]: payload[name] };
  }
  if (monitor.level === undefined && !LEVELS.has(type)) data = { ...(data ?? {}), type };
  return defined({
    entryId: str(payload.id) ?? str(doc.entryId) ?? '',
    level,
    at: num(payload.timestamp) ?? num(payload.priority) ?? millis(doc.createDate) ?? 0,
    message: str(payload.topic) ?? '',
    source: monitor.source,
    runId: monitor.runId,
    subject: monitor.subject === undefined ? undefined : logSubjectSchema.safeParse(monitor.subject).data,
    data,
  }) as LogLine;
}
