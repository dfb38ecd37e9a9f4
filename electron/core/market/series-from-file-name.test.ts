import { describe, expect, it } from 'vitest';
import { seriesFromFileName } from './series-from-file-name';

describe('seriesFromFileName', () => {
  it.each([
    ['ETH_BTC-1m.json', { symbol: 'ETH/BTC', interval: '1m' }],
    ['/data/UNITTEST_BTC-30m.json', { symbol: 'UNITTEST/BTC', interval: '30m' }],
    ['ETHBTC-1m-2018-01.binance.csv', { symbol: 'ETH/BTC', interval: '1m', exchangeName: 'binance' }],
    ['ETHBTC-1m-2018-01.final.csv', { symbol: 'ETH/BTC', interval: '1m' }],
    ['BTCUSDT-1h-2025-01.csv', { symbol: 'BTC/USDT', interval: '1h' }],
    ['btc-usdt-5m.csv', { symbol: 'BTC/USDT', interval: '5m' }],
    ['XYZABC-1d.csv', { interval: '1d' }],
    ['ETH_BTC-7m.json', { symbol: 'ETH/BTC' }],
    ['candles.csv', {}],
  ])('%s', (name, expected) => {
    expect(seriesFromFileName(name)).toEqual(expected);
  });
});
