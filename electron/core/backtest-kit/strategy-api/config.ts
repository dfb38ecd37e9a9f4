/**
 * backtest-kit's global settings (`setConfig`), with 19.5.0's defaults. Only the settings that change
 * how a backtest trades are read by our engine; the others are accepted and kept so `getConfig()`
 * answers as backtest-kit would.
 */
export const DEFAULT_CONFIG = Object.freeze({
  CC_SCHEDULE_AWAIT_MINUTES: 120,
  CC_AVG_PRICE_CANDLES_COUNT: 5,
  CC_PERCENT_SLIPPAGE: 0.1,
  CC_PERCENT_FEE: 0.1,
  CC_MIN_TAKEPROFIT_DISTANCE_PERCENT: 0.5,
  CC_MIN_STOPLOSS_DISTANCE_PERCENT: 0.5,
  CC_MAX_STOPLOSS_DISTANCE_PERCENT: 20,
  CC_MAX_SIGNAL_LIFETIME_MINUTES: 1440,
  CC_MAX_SIGNAL_GENERATION_SECONDS: 180,
  CC_GET_CANDLES_RETRY_COUNT: 3,
  CC_GET_CANDLES_RETRY_DELAY_MS: 5000,
  CC_MAX_CANDLES_PER_REQUEST: 1000,
  CC_GET_CANDLES_PRICE_ANOMALY_THRESHOLD_FACTOR: 1000,
  CC_GET_CANDLES_MIN_CANDLES_FOR_MEDIAN: 5,
  CC_REPORT_SHOW_SIGNAL_NOTE: false,
  CC_BREAKEVEN_THRESHOLD: 0.2,
  CC_ORDER_BOOK_TIME_OFFSET_MINUTES: 10,
  CC_ORDER_BOOK_MAX_DEPTH_LEVELS: 1000,
  CC_AGGREGATED_TRADES_MAX_MINUTES: 60,
  CC_MAX_NOTIFICATIONS: 500,
  CC_MAX_SIGNALS: 50,
  CC_MAX_LOG_LINES: 1000,
  CC_ENABLE_CANDLE_FETCH_MUTEX: true,
  CC_ENABLE_BACKTEST_PARALLEL_SPIN: true,
  CC_ENABLE_DCA_EVERYWHERE: false,
  CC_ENABLE_PPPL_EVERYWHERE: false,
  CC_ENABLE_LONG_SIGNAL: true,
  CC_ENABLE_SHORT_SIGNAL: true,
  CC_ENABLE_TRAILING_EVERYWHERE: false,
  CC_POSITION_ENTRY_COST: 100,
  CC_SIGNAL_LEVERAGE_MULTIPLIER: 1,
  CC_SIGNAL_ISOLATED_MARGIN: true,
  CC_ORDER_OPEN_RETRY_ATTEMPTS: 5,
  CC_ORDER_CHECK_RETRY_ATTEMPTS: 5,
  CC_ORDER_CLOSE_RETRY_ATTEMPTS: 5,
});

export type GlobalConfig = { -readonly [K in keyof typeof DEFAULT_CONFIG]: (typeof DEFAULT_CONFIG)[K] };

const NON_NEGATIVE: Array<keyof GlobalConfig> = [
  'CC_SCHEDULE_AWAIT_MINUTES',
  'CC_PERCENT_SLIPPAGE',
  'CC_PERCENT_FEE',
  'CC_MIN_TAKEPROFIT_DISTANCE_PERCENT',
  'CC_MIN_STOPLOSS_DISTANCE_PERCENT',
  'CC_MAX_STOPLOSS_DISTANCE_PERCENT',
  'CC_BREAKEVEN_THRESHOLD',
];

/** Applies `changes` to `config`, refusing values the engine could not trade with (the error names the key). */
export function applyConfig(config: GlobalConfig, changes: Partial<GlobalConfig>): void {
  const next = { ...config, ...changes };
  for (const key of NON_NEGATIVE) {
    const v = next[key];
    if (typeof v !== 'number' || Number.isNaN(v) || v < 0) throw new Error(`setConfig: ${key} must be a non-negative number, got ${String(v)}`);
  }
  const count = next.CC_AVG_PRICE_CANDLES_COUNT;
  if (!Number.isInteger(count) || count < 1) throw new Error(`setConfig: CC_AVG_PRICE_CANDLES_COUNT must be a positive integer, got ${String(count)}`);
  const life = next.CC_MAX_SIGNAL_LIFETIME_MINUTES;
  if (typeof life !== 'number' || !(life > 0)) throw new Error(`setConfig: CC_MAX_SIGNAL_LIFETIME_MINUTES must be positive, got ${String(life)}`);
  Object.assign(config, changes);
}

export function defaultConfig(): GlobalConfig {
  return { ...DEFAULT_CONFIG };
}
