import ccxt, { NetworkError, type Exchange } from 'ccxt';

/** The part of a ccxt exchange the downloader uses; tests and callers may pass any ccxt exchange. */
export interface OhlcvSource {
  readonly id: string;
  loadMarkets(): Promise<unknown>;
  fetchOHLCV(symbol: string, timeframe?: string, since?: number, limit?: number, params?: Record<string, unknown>): Promise<Array<Array<number | undefined>>>;
}

export interface ExchangeClientOptions {
  /**
   * Replace the exchange's REST hosts with this base URL (keeping each API's path): a proxy,
   * a regional mirror, or the fake exchange in tests.
   */
  apiUrl?: string;
  /** Per-request timeout, ms. */
  timeoutMs?: number;
  /** Binance: market types to load (`spot`, `linear`, `inverse`); spot only by default. */
  marketTypes?: string[];
}

type UrlTree = string | { [key: string]: UrlTree };

function rebase(tree: UrlTree, base: string): UrlTree {
  if (typeof tree === 'string') {
    if (!/^https?:\/\//.test(tree)) return tree;
    const { pathname } = new URL(tree);
    return `${base.replace(/\/$/, '')}${pathname === '/' ? '' : pathname}`;
  }
  return Object.fromEntries(Object.entries(tree).map(([k, v]) => [k, rebase(v, base)]));
}

export function isSupportedExchange(id: string): boolean {
  return (ccxt.exchanges as string[]).includes(id);
}

/** A ccxt exchange with its rate limiter on (ccxt spaces requests by the exchange's own limit). */
export function createExchangeClient(exchangeId: string, options: ExchangeClientOptions = {}): Exchange {
  if (!isSupportedExchange(exchangeId)) throw new Error(`unknown exchange "${exchangeId}": ccxt supports ${ccxt.exchanges.slice(0, 8).join(', ')}, …`);
  const ExchangeClass = (ccxt as unknown as Record<string, new (config: Record<string, unknown>) => Exchange>)[exchangeId]!;
  const exchange = new ExchangeClass({
    enableRateLimit: true,
    timeout: options.timeoutMs ?? 15_000,
    options: exchangeId === 'binance' ? { fetchMarkets: { types: options.marketTypes ?? ['spot'] } } : {},
  });
  if (options.apiUrl) {
    const urls = exchange.urls as { api?: UrlTree };
    if (urls.api) urls.api = rebase(urls.api, options.apiUrl);
  }
  return exchange;
}

/** Outages, timeouts and rate-limit refusals are worth another try; a bad symbol is not. */
export function isRetryableExchangeError(error: unknown): boolean {
  return error instanceof NetworkError;
}
