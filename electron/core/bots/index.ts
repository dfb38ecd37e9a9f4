export { BotMonitor, type BotMonitorOptions } from './bot-monitor';
export { BotReader, statsOf, MAX_BOTS } from './bot-reader';
export { BotWatcher, WATCHED_COLLECTIONS, type BotChange } from './bot-watcher';
export { notificationFromDocument } from './bot-notifications';
export { livePnl, effectivePriceOpen } from './live-pnl';
export { BOT_COLLECTIONS, type Db } from './raw';
