import type { LogSubject } from '../../../shared/domain/logs';
import type { RunEvent } from '../../../shared/domain/runs';

/** Where the engine reports what went wrong outside a run's own event stream (the app log); `subject` names the run a line concerns. */
export type EngineLog = (level: 'info' | 'warn' | 'error', message: string, subject?: LogSubject) => void;

/** Puts an event on a run's ordered stream (and the manager's `event`). */
export interface RunEmitter {
  emitRun(runId: string, event: RunEvent): void;
}

/** Without an app log, the engine still never drops an error silently. */
export const consoleLog: EngineLog = (level, message) => {
  if (level === 'info') console.info(`[run engine] ${message}`);
  else if (level === 'warn') console.warn(`[run engine] ${message}`);
  else console.error(`[run engine] ${message}`);
};
