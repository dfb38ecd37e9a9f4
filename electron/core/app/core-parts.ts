import { join } from 'node:path';
import type { PartsFactory } from './app-core';
import { createCandlesPart } from './parts/candles-part';

/**
 * The real core parts, wired on the app's database. Each part is added here as it lands in
 * electron/core (market data, engine, persistence); a part that is missing answers `unavailable`.
 */
export const buildCoreParts: PartsFactory = (ctx) => ({
  candles: createCandlesPart(ctx.database, join(ctx.config.dataDir, 'imports')),
});
