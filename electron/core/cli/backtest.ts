import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { ParamValue } from '../../../shared/domain/strategies';
import type { RunDetail } from '../../../shared/domain/runs';
import { loadConfig } from '../app/config';
import { DatabaseHub } from '../app/database-hub';
import { tickResultOf } from '../backtest-kit/strategy-api';
import { RunManager } from '../engine/run-manager';
import { StrategyCatalog } from '../engine/strategy-catalog';
import { CandleStore } from '../market/candle-store';
import { createPersistence } from '../persist';
import { BUILTIN_STRATEGIES } from '../strategies';
import { parseIntervalOption, parseTimeOption, requireOption, UsageError } from './cli-args';

const USAGE = `Usage: npm run backtest -- --strategy <file or name> --exchange <name> --symbol <S> [--symbol <S> …]
                          --interval <i> --from <ISO> --to <ISO> [--param k=v …] [--json]
       npm run backtest -- --list [--strategies-dir <dir>] [--json]

Runs a backtest through the app's engine (worker threads over the stored candles) and prints its
closed and cancelled signals in the order they happened.

  --strategy        a strategy file (backtest-kit format or defineStrategy) or the name of a built-in
                    or of a strategy in the strategies folder
  --exchange        the exchange the candles were stored under (e.g. binance)
  --symbol          a stored symbol (e.g. ETH/BTC); repeat for several
  --interval        the candle interval (a backtest-kit file: its frame's interval; it still reads 1m candles)
  --from, --to      the range, ISO 8601 (UTC) or ms; --to is exclusive (the last tick is before it)
  --param k=v       a strategy parameter (numbers and true/false are read as such)
  --strategies-dir  the strategies folder (default: BACKTEST_MONITOR_STRATEGIES_DIR)
  --json            one JSON object {"results": [...], "statistics": {...}} on stdout
  --list            the strategies the catalog finds, with their parameters

The database is the one the app would use: CC_MONGO_CONNECTION_STRING, else MongoDB on
localhost:27017, else the embedded server (data in the app's data folder). Import candles first
with \`npm run candles -- import\`. Exit code: 0 success, 1 the run failed, 2 bad usage.
`;

const OPTIONS = {
  strategy: { type: 'string' },
  exchange: { type: 'string' },
  symbol: { type: 'string', multiple: true },
  interval: { type: 'string' },
  from: { type: 'string' },
  to: { type: 'string' },
  param: { type: 'string', multiple: true },
  'strategies-dir': { type: 'string' },
  json: { type: 'boolean' },
  list: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

type Values = ReturnType<typeof parseArgs<{ args: string[]; options: typeof OPTIONS; allowPositionals: false }>>['values'];

function parseParams(raw: readonly string[] | undefined): Record<string, ParamValue> {
  const out: Record<string, ParamValue> = {};
  for (const item of raw ?? []) {
    const eq = item.indexOf('=');
    if (eq <= 0) throw new UsageError(`--param "${item}" is not of the form name=value`);
    const key = item.slice(0, eq).trim();
    const text = item.slice(eq + 1).trim();
    out[key] = text === 'true' ? true : text === 'false' ? false : text !== '' && Number.isFinite(Number(text)) ? Number(text) : text;
  }
  return out;
}

/** A --strategy that names an existing file (rather than a strategy name). */
function strategyFileOf(value: string): string | undefined {
  const path = resolve(value);
  try {
    return statSync(path).isFile() ? path : undefined;
  } catch {
    return undefined;
  }
}

interface Plan {
  strategiesDir?: string;
  strategyName: string;
  request: { exchangeName: string; symbols: string[]; interval: ReturnType<typeof parseIntervalOption>; from: number; to: number; params: Record<string, ParamValue> };
}

async function plan(values: Values): Promise<Plan> {
  const strategy = requireOption(values.strategy, 'strategy');
  const exchangeName = requireOption(values.exchange, 'exchange');
  const symbols = (values.symbol ?? []).map((s) => s.trim()).filter((s) => s !== '');
  if (symbols.length === 0) throw new UsageError('--symbol is required (repeat it for several symbols)');
  const interval = parseIntervalOption(values.interval);
  const from = parseTimeOption(requireOption(values.from, 'from'), 'from')!;
  const to = parseTimeOption(requireOption(values.to, 'to'), 'to')!;
  if (to <= from) throw new UsageError('--to must be after --from');
  const params = parseParams(values.param);
  const request = { exchangeName, symbols, interval, from, to, params };
  const file = strategyFileOf(strategy);
  if (file) {
    // A file: its folder is the strategies folder of this run, and the run uses the name it registers.
    const definition = await new StrategyCatalog({ builtins: BUILTIN_STRATEGIES }).loadFile(file);
    return { strategiesDir: dirname(file), strategyName: definition.name, request };
  }
  return { strategiesDir: values['strategies-dir'] ?? process.env.BACKTEST_MONITOR_STRATEGIES_DIR, strategyName: strategy, request };
}

function statisticsOf(detail: RunDetail): Record<string, unknown> {
  return { ...detail.stats, bySymbol: detail.statsBySymbol };
}

function printText(detail: RunDetail, results: Array<Record<string, unknown>>): void {
  const lines = results.map((r) => {
    const s = r.signal as { position: string; priceOpen: number };
    const when = new Date(r.closeTimestamp as number).toISOString();
    if (r.action === 'cancelled') return `${when}  ${String(r.symbol)}  ${s.position.padEnd(5)}  cancelled (${String(r.reason)})`;
    const pnl = r.pnl as { pnlPercentage: number; priceClose: number };
    return `${when}  ${String(r.symbol)}  ${s.position.padEnd(5)}  ${String(r.closeReason).padEnd(12)}  ${s.priceOpen} → ${pnl.priceClose}  ${pnl.pnlPercentage.toFixed(4)} %`;
  });
  const st = detail.stats;
  if (st) lines.push('', `${st.trades} trades, ${st.wins} wins, total ${st.totalPnlPercent.toFixed(4)} %, max drawdown ${st.maxDrawdownPercent.toFixed(4)} %`);
  process.stdout.write(`${lines.join('\n')}\n`);
}

async function list(values: Values): Promise<number> {
  const catalog = new StrategyCatalog({ userDir: values['strategies-dir'] ?? process.env.BACKTEST_MONITOR_STRATEGIES_DIR, builtins: BUILTIN_STRATEGIES });
  const strategies = await catalog.list();
  if (values.json) process.stdout.write(`${JSON.stringify({ strategies }, null, 2)}\n`);
  else {
    for (const s of strategies) {
      const params = s.params.map((p) => `${p.name}=${String(p.default)}`).join(' ');
      process.stdout.write(`${s.name}  [${s.source}${s.file ? ` ${s.file}` : ''}]  ${s.interval}  ${params}${s.error ? `  ERROR: ${s.error}` : ''}\n`);
    }
  }
  return 0;
}

export async function runBacktestCli(argv: string[]): Promise<number> {
  let values: Values;
  try {
    values = parseArgs({ args: argv, options: OPTIONS, allowPositionals: false }).values;
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (values.list) return list(values);
  let p: Plan;
  try {
    p = await plan(values);
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`${error.message}\nRun \`npm run backtest -- --help\` for usage.\n`);
      return 2;
    }
    process.stderr.write(`backtest: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
  const config = loadConfig();
  const hub = new DatabaseHub({ config, log: (level, message) => level !== 'info' && process.stderr.write(`database: ${message}\n`) });
  const scratch = mkdtempSync(join(tmpdir(), 'backtest-cli-'));
  let manager: RunManager | undefined;
  try {
    await hub.start();
    const connection = hub.connection;
    if (!connection?.isConnected) throw new Error('no database: set CC_MONGO_CONNECTION_STRING, start MongoDB on localhost:27017, or let the embedded server start');
    // The run's own rows and notifications stay in a scratch folder: a command-line run leaves the
    // app's history as it was. Candles come from the database through the app's candle cache.
    const persistence = await createPersistence({ mode: 'backtest', dataDir: scratch });
    manager = new RunManager({
      candles: new CandleStore(connection.connection),
      cacheDir: join(config.dataDir, 'candle-cache'),
      strategiesDir: p.strategiesDir,
      builtins: BUILTIN_STRATEGIES,
      persistence: { live: persistence, backtest: persistence },
      log: (level, message) => process.stderr.write(`${level}: ${message}\n`),
    });
    const { runId } = await manager.start({ kind: 'backtest', strategyName: p.strategyName, ...p.request });
    const done = await manager.waitFor(runId, 24 * 60 * 60_000);
    if (done.status !== 'completed') throw new Error(`the run ${done.status}${done.error ? `: ${done.error}` : ''}`);
    const detail = manager.get(runId);
    const results = detail.signals
      .filter((s) => s.status === 'closed' || s.status === 'cancelled')
      .sort((a, b) => a.closedAt! - b.closedAt! || (a.createdAt ?? 0) - (b.createdAt ?? 0) || a.symbol.localeCompare(b.symbol))
      .map(tickResultOf);
    if (values.json) process.stdout.write(`${JSON.stringify({ results, statistics: statisticsOf(detail) })}\n`);
    else printText(detail, results);
    await persistence.close();
    return 0;
  } catch (error) {
    if (error instanceof Error && error.name === 'RunRequestError') {
      process.stderr.write(`backtest: ${error.message}\n`);
      return 2;
    }
    process.stderr.write(`backtest: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  } finally {
    await manager?.close().catch(() => undefined);
    await hub.close().catch(() => undefined);
    rmSync(scratch, { recursive: true, force: true });
  }
}

void runBacktestCli(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
