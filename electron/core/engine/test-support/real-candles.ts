import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Candle } from '../../../../shared/candles';

/** The shared real candles (../shared/data/candles/ next to the repo), ccxt OHLCV JSON layout. */
export const SHARED_CANDLES_DIR = join(process.cwd(), '..', 'shared', 'data', 'candles');

export function readSharedCandles(file: string): Candle[] {
  const rows = JSON.parse(readFileSync(join(SHARED_CANDLES_DIR, file), 'utf8')) as number[][];
  return rows.map(([timestamp, open, high, low, close, volume]) => ({ timestamp: timestamp!, open: open!, high: high!, low: low!, close: close!, volume: volume! }));
}
