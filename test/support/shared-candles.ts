import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Candle, Interval } from '../../shared/candles';

/** The real exchange candles beside the repository (never copied into it). */
export const SHARED_CANDLES_DIR = resolve(__dirname, '..', '..', '..', 'shared', 'data', 'candles');

export interface SharedCandleFile {
  file: string;
  symbol: string;
  interval: Interval;
  count: number;
  gapRanges: number;
  missing: number;
}

/** The table of ../shared/data/README.md. */
export const SHARED_CANDLE_FILES: SharedCandleFile[] = [
  { file: 'ADA_BTC-1m.json', symbol: 'ADA/BTC', interval: '1m', count: 14383, gapRanges: 14, missing: 14 },
  { file: 'ETH_BTC-1m.json', symbol: 'ETH/BTC', interval: '1m', count: 14397, gapRanges: 1, missing: 1 },
  { file: 'XLM_BTC-1m.json', symbol: 'XLM/BTC', interval: '1m', count: 14373, gapRanges: 25, missing: 25 },
  { file: 'DASH_BTC-1m.json', symbol: 'DASH/BTC', interval: '1m', count: 12444, gapRanges: 1493, missing: 1954 },
  { file: 'UNITTEST_BTC-1m.json', symbol: 'UNITTEST/BTC', interval: '1m', count: 13681, gapRanges: 538, missing: 717 },
  { file: 'LTC_BTC-5m.json', symbol: 'LTC/BTC', interval: '5m', count: 5760, gapRanges: 0, missing: 0 },
  { file: 'ZEC_BTC-5m.json', symbol: 'ZEC/BTC', interval: '5m', count: 5757, gapRanges: 2, missing: 2 },
  { file: 'UNITTEST_BTC-30m.json', symbol: 'UNITTEST/BTC', interval: '30m', count: 1920, gapRanges: 0, missing: 0 },
];

export function sharedCandlePath(file: string): string {
  return join(SHARED_CANDLES_DIR, file);
}

/** Reads a ccxt-layout JSON file whole; fine for these test files of about 1 MB. */
export function readSharedCandles(file: string): Candle[] {
  const rows = JSON.parse(readFileSync(sharedCandlePath(file), 'utf8')) as number[][];
  return rows.map(([timestamp, open, high, low, close, volume]) => ({
    timestamp: timestamp!,
    open: open!,
    high: high!,
    low: low!,
    close: close!,
    volume: volume!,
  }));
}
