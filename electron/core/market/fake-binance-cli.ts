import { parseArgs } from 'node:util';
import { startFakeBinanceServer, type FakeMarket } from './fake-binance-server';
import { loadSharedCandles, SHARED_CANDLE_FILES } from './test-data';

/**
 * `tsx electron/core/market/fake-binance-cli.ts [--port 0] [--host 127.0.0.1]`: serves every
 * shared real candle file as a Binance market and prints `FAKE_BINANCE_URL=<url>` on stdout
 * (end-to-end tests read that line). Stops on SIGINT/SIGTERM, and when stdin closes (so a dying
 * parent never leaves it behind) unless `--no-watch-stdin` (e.g. started with `&` from a script,
 * where stdin is /dev/null).
 */
function sharedMarkets(): FakeMarket[] {
  const markets = new Map<string, FakeMarket>();
  for (const file of SHARED_CANDLE_FILES) {
    if (!file.file.endsWith('.json')) continue;
    const market = markets.get(file.symbol) ?? { symbol: file.symbol, candles: {} };
    market.candles[file.interval] = loadSharedCandles(file.file);
    markets.set(file.symbol, market);
  }
  return [...markets.values()];
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '0' },
      host: { type: 'string', default: '127.0.0.1' },
      'no-watch-stdin': { type: 'boolean', default: false },
    },
  });
  const server = await startFakeBinanceServer({ markets: sharedMarkets(), port: Number(values.port), host: values.host });
  process.stdout.write(`FAKE_BINANCE_URL=${server.url}\n`);
  const stop = (): void => {
    void server.stop().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  if (!values['no-watch-stdin']) {
    process.stdin.on('end', stop);
    process.stdin.resume();
  }
}

void main();
