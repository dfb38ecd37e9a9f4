import type { Settings } from '../../shared/contract/channels';
import type { EventEnvelope } from '../../shared/contract/events';

export interface OsNotification {
  title: string;
  body: string;
  /** The run a click brings forward. */
  runId?: string;
  type: 'signal.closed' | 'error.critical' | 'run.completed';
}

/**
 * Which inbox notifications become OS notifications: a signal closed on take-profit or stop-loss,
 * a critical error, a completed run, each only when enabled in Settings.
 */
export function osNotificationFor(envelope: EventEnvelope, settings: Settings['osNotifications']): OsNotification | undefined {
  if (envelope.event !== 'notification') return undefined;
  const n = envelope.payload;
  const base = n.runId ? { runId: n.runId } : {};
  switch (n.type) {
    case 'signal.closed': {
      const reason = n.data?.closeReason;
      if (!settings['signal.closed'] || (reason !== 'take_profit' && reason !== 'stop_loss')) return undefined;
      return { type: 'signal.closed', title: n.title || `${n.symbol ?? 'Signal'} closed (${reason === 'take_profit' ? 'take profit' : 'stop loss'})`, body: n.message, ...base };
    }
    case 'error.critical':
      return settings['error.critical'] ? { type: 'error.critical', title: n.title || 'Critical error', body: n.message, ...base } : undefined;
    case 'run.completed':
      return settings['run.completed'] ? { type: 'run.completed', title: n.title || 'Run completed', body: n.message, ...base } : undefined;
    default:
      return undefined;
  }
}
