/**
 * Channel and event names without zod, so the sandboxed preload can check names without
 * bundling the schemas. contract.test.ts keeps these lists equal to the schema maps' keys.
 */
export const INVOKE_CHANNEL_NAMES = [
  'runs.start',
  'runs.stop',
  'runs.list',
  'runs.get',
  'runs.rename',
  'runs.delete',
  'candles.symbols',
  'candles.query',
  'candles.chart',
  'candles.page',
  'candles.import',
  'candles.download',
  'candles.gaps',
  'candles.export',
  'candles.exportChunk',
  'candles.delete',
  'candles.backfill',
  'candles.derived',
  'notifications.list',
  'notifications.markRead',
  'notifications.unreadCount',
  'state.get',
  'matrix.get',
  'database.status',
  'database.test',
  'database.connect',
  'strategies.list',
  'settings.get',
  'settings.set',
  'logs.tail',
  'bots.list',
  'bots.get',
  'optimize.start',
  'optimize.stop',
  'optimize.resume',
  'optimize.list',
  'optimize.get',
  'optimize.trials',
] as const;

export const EVENT_NAMES = [
  'run.progress',
  'run.event',
  'candles.progress',
  'notification',
  'notifications.unread',
  'database.status',
  'log.line',
  'app.navigate',
  'bots.changed',
  'optimize.progress',
] as const;

/** Electron IPC channel names used by the preload bridge and electron/main. */
export const IPC = {
  invoke: 'backtest-monitor:invoke',
  events: 'backtest-monitor:events',
  /** Desktop only: a file's contents for a following `candles.import {kind: 'upload'}` (the preload routes `uploads.put` here). */
  upload: 'backtest-monitor:upload',
} as const;

/** The bridge name IpcBackend.upload uses; not a contract channel (the headless host uploads over HTTP). */
export const DESKTOP_UPLOAD_CHANNEL = 'uploads.put';

/** The name under which the preload exposes the bridge on `window`. */
export const BRIDGE_KEY = 'backtestMonitor';

export function isInvokeChannelName(value: unknown): value is (typeof INVOKE_CHANNEL_NAMES)[number] {
  return typeof value === 'string' && (INVOKE_CHANNEL_NAMES as readonly string[]).includes(value);
}
