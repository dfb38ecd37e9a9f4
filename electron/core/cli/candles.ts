import { parseArgs } from 'node:util';
import { ConnectionManager } from '../db/connection-manager';
import { CandleStore } from '../market/candle-store';
import { COMMANDS, type CommandResult, type PreparedCommand } from './candle-commands';
import { UsageError } from './cli-args';

const USAGE = `Usage: npm run candles -- <command> [options]

Commands:
  import <file> --symbol ADA/BTC --interval 1m [--exchange binance] [--format binance-csv|ohlcv-json|csv] [--skip-invalid]
      Binance kline CSV, ccxt/freqtrade OHLCV JSON or CSV with a header. Strict: a file with any bad
      row stores nothing; --skip-invalid stores the valid rows. Symbol and interval default to what
      the file name says (ETH_BTC-1m.json, ETHBTC-1m-2018-01.csv).
  download --symbol ETH/BTC --interval 1m --from 2018-01-20 [--to 2018-01-30] [--exchange binance] [--no-resume] [--api-url URL]
      Fetches candles with ccxt (rate-limited, retried), resuming after the newest stored candle.
  gaps --symbol ETH/BTC --interval 1m [--from ..] [--to ..] [--backfill] [--api-url URL]
      Stored and missing ranges; --backfill fetches the missing ones from the exchange.
  export --symbol ETH/BTC --interval 1m [--format csv|json] [--from ..] [--to ..] [--out FILE]
      Writes candles (timestamp,open,high,low,close,volume) to FILE or stdout.
  list
      What is stored: exchange, symbol, interval, count, first and last candle.

Options for every command:
  --json        machine-readable output on stdout
  --help        this text
Times are ms since the epoch or ISO 8601 (UTC). The database is CC_MONGO_CONNECTION_STRING
(default mongodb://localhost:27017/backtest-kit). Exit code 0 only on success.
`;

const OPTIONS = {
  symbol: { type: 'string' },
  interval: { type: 'string' },
  exchange: { type: 'string' },
  format: { type: 'string' },
  from: { type: 'string' },
  to: { type: 'string' },
  out: { type: 'string' },
  'api-url': { type: 'string' },
  'ccxt-id': { type: 'string' },
  'skip-invalid': { type: 'boolean' },
  'no-resume': { type: 'boolean' },
  backfill: { type: 'boolean' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

export async function runCandlesCli(argv: string[]): Promise<number> {
  let parsed: ReturnType<typeof parseArgs<{ args: string[]; options: typeof OPTIONS; allowPositionals: true }>>;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true });
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  const [command, ...rest] = positionals;
  if (values.help || !command) {
    process.stdout.write(USAGE);
    return command || values.help ? 0 : 2;
  }
  const run = COMMANDS[command as keyof typeof COMMANDS];
  if (!run) {
    process.stderr.write(`unknown command "${command}"\n\n${USAGE}`);
    return 2;
  }
  const json = values.json === true;
  let prepared: PreparedCommand;
  try {
    prepared = run({
      positionals: rest,
      values,
      stdout: process.stdout,
      status: (line) => {
        if (!json) process.stderr.write(`${line}\n`);
      },
    });
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`${error.message}\nRun \`npm run candles -- --help\` for usage.\n`);
    return 2;
  }
  const manager = new ConnectionManager({ connectTimeoutMs: 10_000 });
  try {
    await manager.connect();
    const store = new CandleStore(manager.connection);
    await store.ensureIndexes();
    const result: CommandResult = await prepared(store);
    if (json) {
      if (result.json !== undefined) process.stdout.write(`${JSON.stringify(result.json, null, 2)}\n`);
    } else if (result.text.length > 0) {
      process.stdout.write(`${result.text.join('\n')}\n`);
    }
    return result.ok ? 0 : 1;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (json) process.stdout.write(`${JSON.stringify({ ok: false, error: message }, null, 2)}\n`);
    process.stderr.write(`candles ${command}: ${message}\n`);
    return 1;
  } finally {
    await manager.close();
  }
}

// Flush stdout before exiting: a piped export must not lose its tail.
void runCandlesCli(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
