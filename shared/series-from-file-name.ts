import { isInterval, type Interval } from './candles';

// Quote assets tried, longest first, when a file name glues the pair together (ETHBTC).
const KNOWN_QUOTES = ['FDUSD', 'USDT', 'USDC', 'BUSD', 'TUSD', 'BTC', 'ETH', 'BNB', 'EUR', 'TRY', 'USD', 'DAI'];

export interface SeriesHint {
  symbol?: string;
  interval?: Interval;
  /** From a `.binance.csv`-style suffix, when the name carries one. */
  exchangeName?: string;
}

// Exchanges a file name may name before its extension (`ETHBTC-1m-2018-01.binance.csv`); other words there are not guessed as one.
const EXCHANGE_SUFFIX = /\.(binance|binanceus|bybit|okx|kraken|coinbase|kucoin|bitfinex|bitget|gateio|mexc|bitstamp|huobi|htx)\.(csv|json)$/i;

/**
 * Shared by the importer (electron/core/market) and the Import panel, which fills its form with the guess.
 *
 * What a candle file's name says about its series: freqtrade names (`ETH_BTC-1m.json`) and
 * Binance bulk names (`ETHBTC-1m-2018-01.csv`, `ETHBTC-1m-2018-01.binance.csv`).
 */
export function seriesFromFileName(fileName: string): SeriesHint {
  const base = fileName.replace(/^.*[\\/]/, '');
  const exchange = EXCHANGE_SUFFIX.exec(base)?.[1]?.toLowerCase();
  const match = /^([A-Za-z0-9]+?)(?:[_-]([A-Za-z0-9]+))?-(\d+[mhdw])(?:[-._]|$)/.exec(base);
  if (!match) return exchange ? { exchangeName: exchange } : {};
  const [, first, second, interval] = match;
  const hint: SeriesHint = exchange ? { exchangeName: exchange } : {};
  if (interval && isInterval(interval)) hint.interval = interval;
  if (first && second) {
    hint.symbol = `${first.toUpperCase()}/${second.toUpperCase()}`;
  } else if (first) {
    const pair = first.toUpperCase();
    const quote = KNOWN_QUOTES.find((q) => pair.endsWith(q) && pair.length > q.length);
    if (quote) hint.symbol = `${pair.slice(0, -quote.length)}/${quote}`;
  }
  return hint;
}
