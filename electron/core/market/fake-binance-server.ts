import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { INTERVAL_MS, isInterval, type Candle, type Interval } from '../../../shared/candles';

/**
 * A stand-in for Binance's public spot REST API on 127.0.0.1, speaking its real wire format
 * (`/api/v3/exchangeInfo`, `/api/v3/klines`, `/api/v3/time`, `/api/v3/ping`), so the real ccxt
 * binance code runs against it in tests, end-to-end tests and demos without a network.
 */
export interface FakeMarket {
  /** Unified symbol, e.g. `ETH/BTC` (served as `ETHBTC`). */
  symbol: string;
  candles: Partial<Record<Interval, Candle[]>>;
}

export interface FakeBinanceOptions {
  markets: FakeMarket[];
  port?: number;
  host?: string;
}

export type FailureMode = 'http-503' | 'http-429' | 'reset';

export interface KlinesRequest {
  symbol: string;
  interval: string;
  startTime?: number;
  endTime?: number;
  limit: number;
  failed: boolean;
  /** When it arrived (ms since the epoch): lets tests check the client's rate limiting. */
  at: number;
}

export interface FakeBinanceServer {
  /** Base URL, e.g. `http://127.0.0.1:41234`; pass it as the exchange's API URL. */
  url: string;
  port: number;
  /** Every klines request, in order, for assertions. */
  readonly klinesRequests: KlinesRequest[];
  /** The next `count` klines requests fail (an outage or a rate-limit ban). */
  failNextKlines(count: number, mode?: FailureMode): void;
  /** Klines requests fail from the `after`-th successful one on, until `heal()` (an interruption). */
  failKlinesAfter(after: number, mode?: FailureMode): void;
  heal(): void;
  /** Candles of `[from, to)` disappear from the exchange (a gap the exchange never filled). */
  dropCandles(symbol: string, interval: Interval, from: number, to: number): void;
  stop(): Promise<void>;
}

const MAX_LIMIT = 1000;
const DEFAULT_LIMIT = 500;

function binanceId(symbol: string): string {
  return symbol.replace('/', '').toUpperCase();
}

function symbolInfo(symbol: string): Record<string, unknown> {
  const [base, quote] = symbol.split('/');
  return {
    symbol: binanceId(symbol),
    status: 'TRADING',
    baseAsset: base,
    baseAssetPrecision: 8,
    quoteAsset: quote,
    quotePrecision: 8,
    quoteAssetPrecision: 8,
    orderTypes: ['LIMIT', 'LIMIT_MAKER', 'MARKET', 'STOP_LOSS_LIMIT', 'TAKE_PROFIT_LIMIT'],
    icebergAllowed: true,
    ocoAllowed: true,
    isSpotTradingAllowed: true,
    isMarginTradingAllowed: false,
    filters: [
      { filterType: 'PRICE_FILTER', minPrice: '0.00000001', maxPrice: '1000.00000000', tickSize: '0.00000001' },
      { filterType: 'LOT_SIZE', minQty: '0.00100000', maxQty: '100000.00000000', stepSize: '0.00100000' },
      { filterType: 'NOTIONAL', minNotional: '0.00010000', maxNotional: '9000000.00000000' },
    ],
    permissions: [],
    permissionSets: [['SPOT']],
    defaultSelfTradePreventionMode: 'EXPIRE_MAKER',
    allowedSelfTradePreventionModes: ['EXPIRE_TAKER', 'EXPIRE_MAKER', 'EXPIRE_BOTH'],
  };
}

/** Binance kline layout: numbers as strings, as the real API sends them. */
function kline(c: Candle, intervalMs: number): unknown[] {
  return [c.timestamp, String(c.open), String(c.high), String(c.low), String(c.close), String(c.volume), c.timestamp + intervalMs - 1, String(c.volume * c.close), 1, '0', '0', '0'];
}

/** First index whose timestamp is >= ts (candles are sorted). */
function lowerBound(candles: Candle[], ts: number): number {
  let lo = 0;
  let hi = candles.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (candles[mid]!.timestamp < ts) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json;charset=UTF-8', ...headers });
  res.end(JSON.stringify(body));
}

function optionalInt(params: URLSearchParams, name: string): number | undefined {
  const raw = params.get(name);
  return raw === null ? undefined : Number(raw);
}

export async function startFakeBinanceServer(options: FakeBinanceOptions): Promise<FakeBinanceServer> {
  const markets = new Map<string, FakeMarket>();
  for (const market of options.markets) {
    // Own copies, so dropping candles never touches the caller's arrays.
    const candles: Partial<Record<Interval, Candle[]>> = {};
    for (const [interval, list] of Object.entries(market.candles)) candles[interval as Interval] = [...(list ?? [])];
    markets.set(binanceId(market.symbol), { symbol: market.symbol, candles });
  }
  const klinesRequests: KlinesRequest[] = [];
  let failNext = 0;
  let failAfter: number | undefined;
  let failMode: FailureMode = 'http-503';
  let served = 0;

  const fail = (req: IncomingMessage, res: ServerResponse): void => {
    if (failMode === 'reset') {
      req.socket.destroy();
    } else if (failMode === 'http-429') {
      sendJson(res, 429, { code: -1003, msg: 'Too many requests; current limit is 6000 request weight per 1 MINUTE.' }, { 'retry-after': '1' });
    } else {
      sendJson(res, 503, { code: -1008, msg: 'Service Unavailable.' });
    }
  };

  const klines = (req: IncomingMessage, res: ServerResponse, params: URLSearchParams): void => {
    const symbol = params.get('symbol') ?? '';
    const interval = params.get('interval') ?? '';
    const startTime = optionalInt(params, 'startTime');
    const endTime = optionalInt(params, 'endTime');
    const limit = Math.min(optionalInt(params, 'limit') ?? DEFAULT_LIMIT, MAX_LIMIT);
    const shouldFail = failNext > 0 || (failAfter !== undefined && served >= failAfter);
    klinesRequests.push({ symbol, interval, startTime, endTime, limit, failed: shouldFail, at: Date.now() });
    if (shouldFail) {
      if (failNext > 0) failNext--;
      fail(req, res);
      return;
    }
    const market = markets.get(symbol);
    if (!market) return sendJson(res, 400, { code: -1121, msg: 'Invalid symbol.' });
    if (!isInterval(interval)) return sendJson(res, 400, { code: -1120, msg: 'Invalid interval.' });
    const candles = market.candles[interval] ?? [];
    let start = startTime === undefined ? 0 : lowerBound(candles, startTime);
    const end = endTime === undefined ? candles.length : lowerBound(candles, endTime + 1);
    // Without startTime Binance answers with the most recent candles.
    if (startTime === undefined) start = Math.max(0, end - limit);
    served++;
    const intervalMs = INTERVAL_MS[interval];
    sendJson(res, 200, candles.slice(start, Math.min(end, start + limit)).map((c) => kline(c, intervalMs)), { 'x-mbx-used-weight-1m': String(served * 2) });
  };

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (req.method !== 'GET') return sendJson(res, 405, { code: -1, msg: `method ${req.method} not supported by the fake exchange` });
    switch (url.pathname) {
      case '/api/v3/ping':
        return sendJson(res, 200, {});
      case '/api/v3/time':
        return sendJson(res, 200, { serverTime: Date.now() });
      case '/api/v3/exchangeInfo':
        return sendJson(res, 200, {
          timezone: 'UTC',
          serverTime: Date.now(),
          rateLimits: [{ rateLimitType: 'REQUEST_WEIGHT', interval: 'MINUTE', intervalNum: 1, limit: 6000 }],
          exchangeFilters: [],
          symbols: [...markets.values()].map((m) => symbolInfo(m.symbol)),
        });
      case '/api/v3/klines':
        return klines(req, res, url.searchParams);
      default:
        return sendJson(res, 404, { code: -1, msg: `${url.pathname} is not served by the fake exchange` });
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${options.host ?? '127.0.0.1'}:${port}`,
    port,
    klinesRequests,
    failNextKlines(count, mode = 'http-503') {
      failNext = count;
      failMode = mode;
    },
    failKlinesAfter(after, mode = 'http-503') {
      failAfter = served + after;
      failMode = mode;
    },
    heal() {
      failNext = 0;
      failAfter = undefined;
    },
    dropCandles(symbol, interval, from, to) {
      const market = markets.get(binanceId(symbol));
      const list = market?.candles[interval];
      if (!market || !list) throw new Error(`the fake exchange has no ${symbol} ${interval} candles`);
      market.candles[interval] = list.filter((c) => c.timestamp < from || c.timestamp >= to);
    },
    stop() {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
