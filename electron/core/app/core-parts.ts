import { join } from 'node:path';
import type { PartsFactory } from './app-core';
import { createBotsPart } from './parts/bots-part';
import { createCandlesPart } from './parts/candles-part';
import { createEnginePart } from './parts/engine-part';
import { createOptimizePart } from './parts/optimize-part';

/**
 * The real core parts on the app's database: candle history and import (electron/core/market),
 * runs and strategies (electron/core/engine), notifications, run state, the adapter matrix and the
 * outage spool (electron/core/persist).
 */
export const buildCoreParts: PartsFactory = async (ctx) => {
  // Bots (other processes) write to the same inbox: their notifications join the engine's events.
  const bots = createBotsPart({
    emit: ctx.emit,
    unreadCount: async () => (await engine.notifications?.unreadCount({}))?.count ?? 0,
    log: (level, message, subject) => ctx.log.write(level, message, 'bots', undefined, subject),
  });
  const exchangeApiUrl = process.env.BACKTEST_MONITOR_EXCHANGE_API_URL?.trim() || undefined;
  const engine = await createEnginePart({
    dataDir: ctx.config.dataDir,
    exchangeApiUrl,
    strategiesDir: ctx.strategiesDir,
    emit: bots.tapEmit(ctx.emit),
    log: (level, message, subject) => ctx.log.write(level, message, 'engine', undefined, subject),
  });
  const candles = createCandlesPart({
    database: ctx.database,
    uploads: ctx.uploads,
    importDirs: ctx.config.importDirs,
    maxImportBytes: ctx.config.maxImportBytes,
    emit: ctx.emit,
    exchangeApiUrl,
    chartCacheDir: join(ctx.config.dataDir, 'chart-cache'),
    log: (level, message, subject) => ctx.log.write(level, message, 'candles', undefined, subject),
  });
  const optimize = createOptimizePart({
    dataDir: ctx.config.dataDir,
    strategiesDir: ctx.strategiesDir,
    emit: ctx.emit,
    redisUrl: process.env.BACKTEST_MONITOR_REDIS_URL?.trim() || undefined,
    log: (level, message) => ctx.log.write(level, message, 'optimize'),
  });
  return {
    ...engine,
    candles,
    bots: bots.bots,
    optimize: optimize.optimize,
    async attachDatabase(manager) {
      await engine.attachDatabase?.(manager);
      await bots.attachDatabase(manager);
      await optimize.attachDatabase(manager);
    },
    async close() {
      await optimize.close();
      await bots.close();
      await engine.close?.();
    },
  };
};
