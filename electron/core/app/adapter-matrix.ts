import type { MatrixRow } from '../../../shared/contract/domain';

/** DESIGN.md §1: which adapter each subsystem uses in live and in backtest mode. */
export const DEFAULT_ADAPTER_MATRIX: MatrixRow[] = [
  { subsystem: 'session', live: 'mongodb', backtest: 'local-file', holds: "a strategy's session data per (strategy, exchange, frame, symbol, backtest)" },
  { subsystem: 'storage', live: 'mongodb', backtest: 'in-memory', holds: 'signal rows: status, prices, pnl, close reason' },
  { subsystem: 'recent', live: 'mongodb', backtest: 'in-memory', holds: 'the latest signal per (symbol, strategy, exchange, frame, backtest)' },
  { subsystem: 'notification', live: 'mongodb', backtest: 'in-memory', holds: 'the notification inbox' },
  { subsystem: 'memory', live: 'mongodb', backtest: 'local-file', holds: "a strategy's notes per (signalId, bucket, memoryId)" },
  { subsystem: 'state', live: 'mongodb', backtest: 'local-file', holds: "a strategy's state per (signalId, bucket)" },
  { subsystem: 'dump', live: 'markdown', backtest: 'markdown', holds: 'human-readable artifacts as .md files' },
  { subsystem: 'markdown', live: 'dummy', backtest: 'dummy', holds: 'reports (disabled by default)' },
  { subsystem: 'log', live: 'jsonl', backtest: 'jsonl', holds: 'one JSON object per line' },
];
