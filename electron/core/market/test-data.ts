import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Candle, Interval } from '../../../shared/candles';

/** The shared real candles (see ../shared/data/README.md), read in place, never copied into the repo. */
export const SHARED_CANDLES_DIR = resolve(process.env.BACKTEST_MONITOR_ROOT ?? process.cwd(), '..', 'shared', 'data', 'candles');

export interface SharedCandleFile {
  file: string;
  symbol: string;
  interval: Interval;
  /** Counts from the data README. */
  candles: number;
  gapRanges: number;
  missing: number;
}

export const SHARED_CANDLE_FILES: SharedCandleFile[] = [
  { file: 'ADA_BTC-1m.json', symbol: 'ADA/BTC', interval: '1m', candles: 14383, gapRanges: 14, missing: 14 },
  { file: 'ETH_BTC-1m.json', symbol: 'ETH/BTC', interval: '1m', candles: 14397, gapRanges: 1, missing: 1 },
  { file: 'XLM_BTC-1m.json', symbol: 'XLM/BTC', interval: '1m', candles: 14373, gapRanges: 25, missing: 25 },
  { file: 'DASH_BTC-1m.json', symbol: 'DASH/BTC', interval: '1m', candles: 12444, gapRanges: 1493, missing: 1954 },
  { file: 'UNITTEST_BTC-1m.json', symbol: 'UNITTEST/BTC', interval: '1m', candles: 13681, gapRanges: 538, missing: 717 },
  { file: 'LTC_BTC-5m.json', symbol: 'LTC/BTC', interval: '5m', candles: 5760, gapRanges: 0, missing: 0 },
  { file: 'ZEC_BTC-5m.json', symbol: 'ZEC/BTC', interval: '5m', candles: 5757, gapRanges: 2, missing: 2 },
  { file: 'UNITTEST_BTC-30m.json', symbol: 'UNITTEST/BTC', interval: '30m', candles: 1920, gapRanges: 0, missing: 0 },
  { file: 'ETHBTC-1m-2018-01.binance.csv', symbol: 'ETH/BTC', interval: '1m', candles: 14397, gapRanges: 1, missing: 1 },
];

export function sharedCandlePath(file: string): string {
  return join(SHARED_CANDLES_DIR, file);
}

/** A shared JSON file's candles in memory (they are small); for servers and reference computations. */
export function loadSharedCandles(file: string): Candle[] {
  const rows = JSON.parse(readFileSync(sharedCandlePath(file), 'utf8')) as number[][];
  return rows.map(([timestamp, open, high, low, close, volume]) => ({
    timestamp: timestamp!, open: open!, high: high!, low: low!, close: close!, volume: volume!,
  }));
}
