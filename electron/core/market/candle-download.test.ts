import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDb, type TestDb } from '../../../test/support/test-db';
import type { CandleKey } from '../../../shared/candles';
import { backfillGaps, downloadCandles } from './candle-download';
import { coverage } from './candle-coverage';
import { CandleStore } from './candle-store';
import { createExchangeClient } from './exchange-client';
import { startFakeBinanceServer, type FakeBinanceServer } from './fake-binance-server';
import { loadSharedCandles } from './test-data';

const M = 60_000;
const eth = loadSharedCandles('ETH_BTC-1m.json');
const ada = loadSharedCandles('ADA_BTC-1m.json');
const ethFrom = eth[0]!.timestamp;
const ethTo = eth[eth.length - 1]!.timestamp + M;

let db: TestDb;
let store: CandleStore;
let fake: FakeBinanceServer;

beforeAll(async () => {
  db = await openTestDb('market_download');
  store = new CandleStore(db.manager.connection);
  await store.ensureIndexes();
  fake = await startFakeBinanceServer({ markets: [{ symbol: 'ETH/BTC', candles: { '1m': eth } }, { symbol: 'ADA/BTC', candles: { '1m': ada } }] });
});

afterAll(async () => {
  await fake.stop();
  await db.dispose();
});

const client = () => createExchangeClient('binance', { apiUrl: fake.url });
const fast = { initialBackoffMs: 5, maxBackoffMs: 20 };

describe('ccxt download against the fake Binance', () => {
  it('fills a range with exactly the exchange candles, page by page, with progress', async () => {
    const fractions: number[] = [];
    const report = await downloadCandles({
      exchange: client(), store, symbol: 'ETH/BTC', interval: '1m', exchangeName: 'fill', from: ethFrom, to: ethTo, ...fast,
      onProgress: (p) => fractions.push(p.fraction),
    });
    expect(report).toMatchObject({ resumed: false, pages: 15, fetched: eth.length, inserted: eth.length, rejected: 0 });
    expect(await store.range({ exchangeName: 'fill', symbol: 'ETH/BTC', interval: '1m' })).toEqual(eth);
    expect(fractions[fractions.length - 1]).toBe(1);
    expect(fractions).toEqual([...fractions].sort((a, b) => a - b));
  });

  it('the exchange client keeps to the exchange rate limit (ccxt enableRateLimit)', async () => {
    const exchange = client();
    await exchange.loadMarkets();
    const rateLimit = exchange.rateLimit ?? 50;
    // ccxt weighs each endpoint: a klines request costs this fraction of `rateLimit` ms (0.4 for
    // Binance spot today). Read it from ccxt rather than assume a whole token per request.
    const api = exchange.api as { public?: { get?: { klines?: { cost?: number } } } };
    const klinesCost = api.public?.get?.klines?.cost ?? 1;
    const requests = 12;
    const started = performance.now();
    for (let i = 0; i < requests; i++) await exchange.fetchOHLCV('ETH/BTC', '1m', ethFrom + i * M, 1);
    // A leaky bucket with a burst of one: the calls after the first each wait for their cost.
    // Unthrottled, a dozen local requests take a few ms.
    expect(performance.now() - started).toBeGreaterThanOrEqual((requests - 2) * rateLimit * klinesCost);
  });

  it('resumes after an interruption without duplicates', async () => {
    const key: CandleKey = { exchangeName: 'resume', symbol: 'ETH/BTC', interval: '1m' };
    fake.failKlinesAfter(5);
    await expect(
      downloadCandles({ exchange: client(), store, ...key, from: ethFrom, to: ethTo, retries: 2, ...fast }),
    ).rejects.toThrow(/503|Service Unavailable/);
    fake.heal();
    const storedBefore = await store.countRange(key);
    expect(storedBefore).toBe(5000);
    const newest = await store.newestTimestamp(key);
    const requestsBefore = fake.klinesRequests.length;

    const report = await downloadCandles({ exchange: client(), store, ...key, from: ethFrom, to: ethTo, ...fast });
    expect(report.resumed).toBe(true);
    expect(report.startedAt).toBe(newest! + M);
    expect(fake.klinesRequests[requestsBefore]!.startTime).toBe(newest! + M);
    expect(report.inserted).toBe(eth.length - 5000);
    expect(await store.countRange(key)).toBe(eth.length);
    expect(await store.range(key)).toEqual(eth);
  });

  it('retries a failing request with backoff, then succeeds', async () => {
    fake.failNextKlines(2, 'reset');
    const retries: number[] = [];
    const report = await downloadCandles({
      exchange: client(), store, symbol: 'ETH/BTC', interval: '1m', exchangeName: 'retry', from: ethFrom, to: ethFrom + 100 * M, ...fast,
      onProgress: (p) => p.retry && retries.push(p.retry.attempt),
    });
    expect(retries).toEqual([1, 2]);
    expect(report).toMatchObject({ retries: 2, fetched: 100 });
  });

  it('a rate-limit refusal (HTTP 429) is retried too', async () => {
    fake.failNextKlines(1, 'http-429');
    const report = await downloadCandles({ exchange: client(), store, symbol: 'ETH/BTC', interval: '1m', exchangeName: 'retry-429', from: ethFrom, to: ethFrom + 10 * M, ...fast });
    expect(report).toMatchObject({ retries: 1, fetched: 10 });
  });

  it('does not retry what a retry cannot fix (an unknown symbol)', async () => {
    await expect(downloadCandles({ exchange: client(), store, symbol: 'NOPE/BTC', interval: '1m', from: ethFrom, to: ethTo, ...fast })).rejects.toThrow(/NOPE\/BTC/);
  });

  it('is cancellable: an aborted download stops and keeps what it stored', async () => {
    const key: CandleKey = { exchangeName: 'cancel', symbol: 'ETH/BTC', interval: '1m' };
    const controller = new AbortController();
    const run = downloadCandles({
      exchange: client(), store, ...key, from: ethFrom, to: ethTo, signal: controller.signal, ...fast,
      onProgress: (p) => p.pages >= 2 && controller.abort(),
    });
    await expect(run).rejects.toThrow(/abort/i);
    const stored = await store.countRange(key);
    expect(stored).toBeGreaterThanOrEqual(2000);
    expect(stored).toBeLessThan(eth.length);
  });

  it('backfills a gap in the stored history from the exchange', async () => {
    const key: CandleKey = { exchangeName: 'backfill', symbol: 'ADA/BTC', interval: '1m' };
    await store.bulkUpsert(key, ada);
    const holeFrom = ada[3000]!.timestamp;
    const holeTo = ada[5500]!.timestamp;
    await store.deleteByFilter({ ...key, timestamp: { $gte: holeFrom, $lt: holeTo } });
    const before = await coverage(store, key);
    expect(before.gaps.length).toBe(14 + 1);

    const report = await backfillGaps({ exchange: client(), store, ...key, ...fast });
    expect(report.gaps.length).toBe(15);
    expect(report.inserted).toBe(2500);
    // The 14 gaps of the real data are gaps on the exchange too: nothing to fetch for them.
    expect(report.stillMissing).toBe(14);
    expect(await store.range(key)).toEqual(ada);
  });

  it('a gap on the exchange stays a gap locally and is reported as still missing', async () => {
    const key: CandleKey = { exchangeName: 'exchange-gap', symbol: 'ETH/BTC', interval: '1m' };
    const gapServer = await startFakeBinanceServer({ markets: [{ symbol: 'ETH/BTC', candles: { '1m': eth } }] });
    try {
      gapServer.dropCandles('ETH/BTC', '1m', eth[2000]!.timestamp, eth[2100]!.timestamp);
      const exchange = createExchangeClient('binance', { apiUrl: gapServer.url });
      const report = await downloadCandles({ exchange, store, ...key, from: ethFrom, to: ethTo, ...fast });
      expect(report.inserted).toBe(eth.length - 100);
      const backfill = await backfillGaps({ exchange, store, ...key, from: ethFrom, to: ethTo, ...fast });
      expect(backfill.inserted).toBe(0);
      expect(backfill.gaps.map((g) => g.missing).sort((a, b) => a - b)).toEqual([1, 100]);
      expect(backfill.stillMissing).toBe(101);
    } finally {
      await gapServer.stop();
    }
  });
});
