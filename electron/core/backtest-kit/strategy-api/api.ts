import { activeRun, type BacktestRun } from './backtest-run';
import { DEFAULT_CONFIG, type GlobalConfig } from './config';
import { NoExecutionContextError, UnsupportedFunctionError } from './errors';
import { BACKTEST_KIT_EXPORTS } from './export-names';
import { effectivePriceOpen, totalClosed } from './position-math';
import {
  Registrations,
  registerExchange,
  registerFrame,
  registerRisk,
  registerSizing,
  registerStrategy,
  type AnyFn,
  type ExchangeSchema,
  type FrameSchema,
  type ListenerKind,
  type RiskSchema,
  type SizingSchema,
  type StrategySchema,
} from './registry';

/**
 * The functions a backtest-kit strategy module calls, as the `backtest-kit` module our engine hands
 * it. Registration calls land in the Registrations of the module being imported; everything else
 * reads the ambient run (the symbol, the moment, the open signal), like backtest-kit's execution
 * context. What we do not implement throws UnsupportedFunctionError, naming itself.
 */

let collector: Registrations | null = null;
const loose = new Registrations();

/** Runs `load` (a module import) with registration calls collected into `into`. */
export async function collectRegistrations<T>(into: Registrations, load: () => Promise<T>): Promise<T> {
  const previous = collector;
  collector = into;
  try {
    return await load();
  } finally {
    collector = previous;
  }
}

function registrations(fn: string): Registrations {
  if (activeRun()) throw new Error(`${fn} must be called when the module loads, not while a strategy runs`);
  return collector ?? loose;
}

function run(fn: string): BacktestRun {
  const r = activeRun();
  if (!r) throw new NoExecutionContextError(fn);
  return r;
}

function sameSymbol(r: BacktestRun, symbol: string, fn: string): void {
  if (symbol !== r.symbol) throw new UnsupportedFunctionError(`${fn} for another symbol (${symbol}; this run trades ${r.symbol})`);
}

// ---- registration --------------------------------------------------------------------------------

export function addStrategySchema(schema: StrategySchema): void {
  registerStrategy(registrations('addStrategySchema'), schema);
}
export function addExchangeSchema(schema: ExchangeSchema): void {
  registerExchange(registrations('addExchangeSchema'), schema);
}
export function addFrameSchema(schema: FrameSchema): void {
  registerFrame(registrations('addFrameSchema'), schema);
}
export function addRiskSchema(schema: RiskSchema): void {
  registerRisk(registrations('addRiskSchema'), schema);
}
export function addSizingSchema(schema: SizingSchema): void {
  registerSizing(registrations('addSizingSchema'), schema);
}

export function setConfig(config: Partial<GlobalConfig>): void {
  const r = activeRun();
  if (r) r.setConfig(config);
  else registrations('setConfig').configChanges.push({ ...config });
}
export function getConfig(): GlobalConfig {
  const r = activeRun();
  if (r) return { ...r.config };
  const out = { ...DEFAULT_CONFIG } as GlobalConfig;
  for (const change of (collector ?? loose).configChanges) Object.assign(out, change);
  return out;
}
export function getDefaultConfig(): GlobalConfig {
  return { ...DEFAULT_CONFIG };
}

// ---- ambient reads ---------------------------------------------------------------------------------

export async function getCandles(symbol: string, interval: string, limit: number): Promise<unknown[]> {
  const r = run('getCandles');
  sameSymbol(r, symbol, 'getCandles');
  return r.feed.candlesBefore(r.when, interval, limit);
}
export async function getAveragePrice(symbol: string): Promise<number> {
  const r = run('getAveragePrice');
  sameSymbol(r, symbol, 'getAveragePrice');
  return r.averagePriceAt(r.when);
}
export async function getClosePrice(symbol: string, interval: string): Promise<number> {
  const r = run('getClosePrice');
  sameSymbol(r, symbol, 'getClosePrice');
  const candles = r.feed.candlesBefore(r.when, interval, 1);
  return candles[candles.length - 1]!.close;
}
export async function getDate(): Promise<Date> {
  return new Date(run('getDate').when);
}
export async function getTimestamp(): Promise<number> {
  return run('getTimestamp').when;
}
export async function getMode(): Promise<'backtest' | 'live'> {
  run('getMode');
  return 'backtest';
}
export async function getSymbol(): Promise<string> {
  return run('getSymbol').symbol;
}
export async function getContext(): Promise<{ strategyName: string; exchangeName: string; frameName: string }> {
  const r = run('getContext');
  return { strategyName: r.strategyName, exchangeName: r.exchangeName, frameName: r.frameName };
}

export async function formatPrice(symbol: string, price: number): Promise<string> {
  const r = run('formatPrice');
  const f = r.exchangeSchema?.formatPrice;
  return f ? String(await f(symbol, price, true)) : price.toFixed(2);
}
export async function formatQuantity(symbol: string, quantity: number): Promise<string> {
  const r = run('formatQuantity');
  const f = r.exchangeSchema?.formatQuantity;
  return f ? String(await f(symbol, quantity, true)) : quantity.toFixed(8);
}

// ---- the open signal ---------------------------------------------------------------------------------

export async function getPendingSignal(symbol: string): Promise<unknown> {
  const r = run('getPendingSignal');
  sameSymbol(r, symbol, 'getPendingSignal');
  return r.pending ? r.publicOf('pending', r.pending, r.averagePriceAt(r.when)) : null;
}
export async function getScheduledSignal(symbol: string): Promise<unknown> {
  const r = run('getScheduledSignal');
  sameSymbol(r, symbol, 'getScheduledSignal');
  return r.scheduled ? r.publicOf('scheduled', r.scheduled, r.averagePriceAt(r.when)) : null;
}
export async function hasNoPendingSignal(symbol: string): Promise<boolean> {
  const r = run('hasNoPendingSignal');
  sameSymbol(r, symbol, 'hasNoPendingSignal');
  return r.pending === null;
}
export async function hasNoScheduledSignal(symbol: string): Promise<boolean> {
  const r = run('hasNoScheduledSignal');
  sameSymbol(r, symbol, 'hasNoScheduledSignal');
  return r.scheduled === null;
}
export async function getPositionEffectivePrice(symbol: string): Promise<number | null> {
  const r = run('getPositionEffectivePrice');
  sameSymbol(r, symbol, 'getPositionEffectivePrice');
  return r.pending ? effectivePriceOpen(r.pending) : null;
}
export async function getPositionPnlPercent(symbol: string): Promise<number | null> {
  const r = run('getPositionPnlPercent');
  sameSymbol(r, symbol, 'getPositionPnlPercent');
  return r.pending ? r.pnlOf(r.pending, r.averagePriceAt(r.when)).pnlPercentage : null;
}
export async function getPositionInvestedCount(symbol: string): Promise<number | null> {
  const r = run('getPositionInvestedCount');
  sameSymbol(r, symbol, 'getPositionInvestedCount');
  return r.pending ? (r.pending._entry?.length ?? 1) : null;
}
export async function getPositionInvestedCost(symbol: string): Promise<number | null> {
  const r = run('getPositionInvestedCost');
  sameSymbol(r, symbol, 'getPositionInvestedCost');
  return r.pending ? r.invested(r.pending) : null;
}

/** The open position's figures, as backtest-kit's getPosition* functions give them (null without one). */
function position<T>(fn: string, symbol: string, read: (r: BacktestRun, s: NonNullable<BacktestRun['pending']>) => T): T | null {
  const r = run(fn);
  sameSymbol(r, symbol, fn);
  return r.pending ? read(r, r.pending) : null;
}
const minutesSince = (r: BacktestRun, t: number): number => Math.floor((r.when - t) / 60_000);

export const getPositionPnlCost = async (symbol: string) => position('getPositionPnlCost', symbol, (r, s) => r.pnlOf(s, r.averagePriceAt(r.when)).pnlCost);
export const getPositionLevels = async (symbol: string) => position('getPositionLevels', symbol, (_r, s) => (s._entry.length ? s._entry.map((e) => e.price) : [s.priceOpen]));
export const getPositionPartials = async (symbol: string) => position('getPositionPartials', symbol, (_r, s) => (s._partial ?? []).map((p) => ({ ...p })));
export const getPositionEntries = async (symbol: string) =>
  position('getPositionEntries', symbol, (r, s) => (s._entry.length ? s._entry.map(({ price, cost, timestamp }) => ({ price, cost, timestamp })) : [{ price: s.priceOpen, cost: s.cost, timestamp: r.when }]));
export const getPositionEstimateMinutes = async (symbol: string) => position('getPositionEstimateMinutes', symbol, (_r, s) => s.minuteEstimatedTime);
export const getPositionCountdownMinutes = async (symbol: string) => position('getPositionCountdownMinutes', symbol, (r, s) => Math.max(0, s.minuteEstimatedTime - minutesSince(r, s.pendingAt)));
export const getPositionActiveMinutes = async (symbol: string) => position('getPositionActiveMinutes', symbol, (r, s) => minutesSince(r, s.pendingAt));
export const getPositionHighestProfitPrice = async (symbol: string) => position('getPositionHighestProfitPrice', symbol, (_r, s) => s._peak.price);
export const getPositionHighestProfitTimestamp = async (symbol: string) => position('getPositionHighestProfitTimestamp', symbol, (_r, s) => s._peak.timestamp);
export const getPositionHighestPnlPercentage = async (symbol: string) => position('getPositionHighestPnlPercentage', symbol, (_r, s) => s._peak.pnlPercentage);
export const getPositionHighestPnlCost = async (symbol: string) => position('getPositionHighestPnlCost', symbol, (_r, s) => s._peak.pnlCost);
export const getPositionHighestProfitMinutes = async (symbol: string) => position('getPositionHighestProfitMinutes', symbol, (r, s) => minutesSince(r, s._peak.timestamp));
export const getPositionDrawdownMinutes = async (symbol: string) => position('getPositionDrawdownMinutes', symbol, (r, s) => minutesSince(r, s._peak.timestamp));
export const getPositionHighestProfitBreakeven = async (symbol: string) =>
  position('getPositionHighestProfitBreakeven', symbol, (r, s) => {
    const eff = effectivePriceOpen(s);
    const threshold = (r.config.CC_PERCENT_SLIPPAGE + r.config.CC_PERCENT_FEE) * 2 + r.config.CC_BREAKEVEN_THRESHOLD;
    return s.position === 'long' ? s._peak.price >= eff * (1 + threshold / 100) : s._peak.price <= eff * (1 - threshold / 100);
  });
export const getPositionMaxDrawdownMinutes = async (symbol: string) => position('getPositionMaxDrawdownMinutes', symbol, (r, s) => minutesSince(r, s._fall.timestamp));
export const getPositionMaxDrawdownPrice = async (symbol: string) => position('getPositionMaxDrawdownPrice', symbol, (_r, s) => s._fall.price);
export const getPositionMaxDrawdownTimestamp = async (symbol: string) => position('getPositionMaxDrawdownTimestamp', symbol, (_r, s) => s._fall.timestamp);
export const getPositionMaxDrawdownPnlPercentage = async (symbol: string) => position('getPositionMaxDrawdownPnlPercentage', symbol, (_r, s) => s._fall.pnlPercentage);
export const getPositionMaxDrawdownPnlCost = async (symbol: string) => position('getPositionMaxDrawdownPnlCost', symbol, (_r, s) => s._fall.pnlCost);
/** backtest-kit's getTotalPercentClosed answers the share still HELD (100 − closed); kept as it is. */
export const getTotalPercentClosed = async (symbol: string) => position('getTotalPercentClosed', symbol, (r, s) => 100 - totalClosed(s, r.config).totalClosedPercent);
export const getTotalPercentHeld = getTotalPercentClosed;
/** backtest-kit's getTotalCostClosed answers the cost basis still open; kept as it is. */
export const getTotalCostClosed = async (symbol: string) => position('getTotalCostClosed', symbol, (r, s) => totalClosed(s, r.config).remainingCostBasis);
export const getRemainingCostBasis = getTotalCostClosed;
export async function getPositionWaitingMinutes(symbol: string): Promise<number | null> {
  const r = run('getPositionWaitingMinutes');
  sameSymbol(r, symbol, 'getPositionWaitingMinutes');
  return r.scheduled ? minutesSince(r, r.scheduled.scheduledAt) : null;
}

// ---- position commits --------------------------------------------------------------------------------

function committing(fn: string, symbol: string): BacktestRun {
  const r = run(fn);
  sameSymbol(r, symbol, fn);
  return r;
}

export async function commitPartialProfit(symbol: string, percentToClose: number): Promise<boolean> {
  const r = committing('commitPartialProfit', symbol);
  return r.partialClose('profit', percentToClose, r.averagePriceAt(r.when));
}
export async function commitPartialLoss(symbol: string, percentToClose: number): Promise<boolean> {
  const r = committing('commitPartialLoss', symbol);
  return r.partialClose('loss', percentToClose, r.averagePriceAt(r.when));
}
/** The cost variants close a dollar amount: the share of the cost basis still open it represents. */
export async function commitPartialProfitCost(symbol: string, dollarAmount: number): Promise<boolean> {
  const r = committing('commitPartialProfitCost', symbol);
  return r.partialClose('profit', percentOfRemaining(r, dollarAmount), r.averagePriceAt(r.when));
}
export async function commitPartialLossCost(symbol: string, dollarAmount: number): Promise<boolean> {
  const r = committing('commitPartialLossCost', symbol);
  return r.partialClose('loss', percentOfRemaining(r, dollarAmount), r.averagePriceAt(r.when));
}
function percentOfRemaining(r: BacktestRun, dollars: number): number {
  if (!r.pending) return NaN;
  return (dollars / totalClosed(r.pending, r.config).remainingCostBasis) * 100;
}
export async function commitTrailingStop(symbol: string, percentShift: number, currentPrice: number): Promise<boolean> {
  return committing('commitTrailingStop', symbol).trailingStop(percentShift, currentPrice);
}
export async function commitTrailingTake(symbol: string, percentShift: number, currentPrice: number): Promise<boolean> {
  return committing('commitTrailingTake', symbol).trailingTake(percentShift, currentPrice);
}
/** The cost variants name the new level: the shift is its signed distance minus the original one. */
export async function commitTrailingStopCost(symbol: string, newStopLossPrice: number): Promise<boolean> {
  const r = committing('commitTrailingStopCost', symbol);
  if (!r.pending) return false;
  const s = r.pending;
  const eff = effectivePriceOpen(s);
  const original = Math.abs(((eff - s.priceStopLoss) / eff) * 100);
  const wanted = s.position === 'long' ? ((eff - newStopLossPrice) / eff) * 100 : ((newStopLossPrice - eff) / eff) * 100;
  return r.trailingStop(wanted - original, r.averagePriceAt(r.when));
}
export async function commitTrailingTakeCost(symbol: string, newTakeProfitPrice: number): Promise<boolean> {
  const r = committing('commitTrailingTakeCost', symbol);
  if (!r.pending) return false;
  const s = r.pending;
  const eff = effectivePriceOpen(s);
  const original = Math.abs(((s.priceTakeProfit - eff) / eff) * 100);
  const wanted = s.position === 'long' ? ((newTakeProfitPrice - eff) / eff) * 100 : ((eff - newTakeProfitPrice) / eff) * 100;
  return r.trailingTake(wanted - original, r.averagePriceAt(r.when));
}
export async function commitBreakeven(symbol: string): Promise<boolean> {
  const r = committing('commitBreakeven', symbol);
  return r.breakeven(r.averagePriceAt(r.when));
}
export async function commitAverageBuy(symbol: string, cost?: number): Promise<boolean> {
  const r = committing('commitAverageBuy', symbol);
  return r.averageBuy(r.averagePriceAt(r.when), cost ?? r.config.CC_POSITION_ENTRY_COST);
}
export async function commitClosePending(symbol: string, payload: { id?: string; note?: string } = {}): Promise<void> {
  committing('commitClosePending', symbol).requestClosePending(payload);
}
export async function commitActivateScheduled(symbol: string, payload: { id?: string; note?: string } = {}): Promise<void> {
  committing('commitActivateScheduled', symbol).requestActivateScheduled(payload);
}
export async function commitCancelScheduled(symbol: string, payload: { id?: string; note?: string } = {}): Promise<void> {
  committing('commitCancelScheduled', symbol).requestCancelScheduled(payload);
}

// ---- session, state, memory (in memory for a backtest, as backtest-kit keeps them) ----------------------

export async function getSessionData(symbol: string): Promise<unknown> {
  const r = committing('getSessionData', symbol);
  return r.sessionData.has(symbol) ? structuredClone(r.sessionData.get(symbol)) : null;
}
export async function setSessionData(symbol: string, value: unknown): Promise<void> {
  const r = committing('setSessionData', symbol);
  r.sessionData.set(symbol, structuredClone(value));
}

function currentSignalId(r: BacktestRun, fn: string, detail: string): string {
  const id = r.pending?.id ?? r.scheduled?.id;
  if (!id) throw new Error(`${fn} requires a pending or scheduled signal for symbol=${r.symbol} ${detail}`);
  return id;
}

type Dispatch = unknown | ((value: unknown) => unknown);

function requireEnabled(r: BacktestRun, adapter: 'state' | 'memory'): void {
  if (!r.enabled.has(adapter)) throw new Error(`${adapter === 'state' ? 'StateAdapter' : 'MemoryAdapter'} is not enabled. Call enable() first.`);
}

/** `State.enable()` / `Memory.enable()`: backtest-kit's switches for signal state and memory. */
function adapterSwitch(adapter: 'state' | 'memory'): { enable(): () => void; disable(): void } {
  const set = (on: boolean): void => {
    const r = activeRun();
    const target = r ? r.enabled : (collector ?? loose).enabled;
    if (on) target.add(adapter);
    else target.delete(adapter);
  };
  return {
    enable: () => {
      set(true);
      return () => set(false);
    },
    disable: () => set(false),
  };
}
export async function getSignalState(symbol: string, dto: { bucketName: string; initialValue: unknown }): Promise<unknown> {
  const r = committing('getSignalState', symbol);
  requireEnabled(r, 'state');
  const key = `${currentSignalId(r, 'getSignalState', `bucketName=${dto.bucketName}`)}\u0000${dto.bucketName}`;
  return r.signalState.has(key) ? r.signalState.get(key) : dto.initialValue;
}
export async function setSignalState(symbol: string, dispatch: Dispatch, dto: { bucketName: string; initialValue: unknown }): Promise<unknown> {
  const r = committing('setSignalState', symbol);
  requireEnabled(r, 'state');
  const key = `${currentSignalId(r, 'setSignalState', `bucketName=${dto.bucketName}`)}\u0000${dto.bucketName}`;
  const prev = r.signalState.has(key) ? r.signalState.get(key) : dto.initialValue;
  const next = typeof dispatch === 'function' ? await (dispatch as (v: unknown) => unknown)(prev) : dispatch;
  r.signalState.set(key, next);
  return next;
}
export function createSignalState(params: { bucketName: string; initialValue: unknown }): [(symbol: string) => Promise<unknown>, (symbol: string, dispatch: Dispatch) => Promise<unknown>] {
  return [(symbol) => getSignalState(symbol, params), (symbol, dispatch) => setSignalState(symbol, dispatch, params)];
}

function memoryBucket(r: BacktestRun, fn: string, bucketName: string, memoryId?: string): Map<string, { value: unknown; description: string }> {
  requireEnabled(r, 'memory');
  const key = `${currentSignalId(r, fn, memoryId ? `memoryId=${memoryId}` : `bucketName=${bucketName}`)}\u0000${bucketName}`;
  let bucket = r.memory.get(key);
  if (!bucket) r.memory.set(key, (bucket = new Map()));
  return bucket;
}
export async function writeMemory(dto: { bucketName: string; memoryId: string; value: unknown; description: string }): Promise<void> {
  const r = run('writeMemory');
  memoryBucket(r, 'writeMemory', dto.bucketName, dto.memoryId).set(dto.memoryId, { value: structuredClone(dto.value), description: dto.description });
}
export async function readMemory(dto: { bucketName: string; memoryId: string }): Promise<unknown> {
  const r = run('readMemory');
  const entry = memoryBucket(r, 'readMemory', dto.bucketName, dto.memoryId).get(dto.memoryId);
  if (!entry) throw new Error(`readMemory: no memory entry ${dto.memoryId} in bucket ${dto.bucketName}`);
  return structuredClone(entry.value);
}
export async function listMemory(dto: { bucketName: string }): Promise<Array<{ memoryId: string; content: unknown }>> {
  const r = run('listMemory');
  return [...memoryBucket(r, 'listMemory', dto.bucketName).entries()].map(([memoryId, e]) => ({ memoryId, content: structuredClone(e.value) }));
}
export async function removeMemory(dto: { bucketName: string; memoryId: string }): Promise<void> {
  const r = run('removeMemory');
  memoryBucket(r, 'removeMemory', dto.bucketName, dto.memoryId).delete(dto.memoryId);
}

// ---- listeners -------------------------------------------------------------------------------------------

function subscribe(kind: ListenerKind, fn: AnyFn, once: boolean, filter?: AnyFn): () => void {
  if (typeof fn !== 'function') throw new Error(`listen${kind}: the callback must be a function`);
  const listener = { kind, fn, once, filter };
  const r = activeRun();
  if (r) return r.addListener(listener);
  const into = collector ?? loose;
  into.listeners.push(listener);
  return () => {
    const i = into.listeners.indexOf(listener);
    if (i >= 0) into.listeners.splice(i, 1);
  };
}

export const listenSignal = (fn: AnyFn) => subscribe('signal', fn, false);
export const listenSignalOnce = (filter: AnyFn, fn: AnyFn) => subscribe('signal', fn, true, filter);
export const listenSignalBacktest = (fn: AnyFn) => subscribe('signalBacktest', fn, false);
export const listenSignalBacktestOnce = (filter: AnyFn, fn: AnyFn) => subscribe('signalBacktest', fn, true, filter);
export const listenDoneBacktest = (fn: AnyFn) => subscribe('doneBacktest', fn, false);
export const listenDoneBacktestOnce = (filter: AnyFn, fn: AnyFn) => subscribe('doneBacktest', fn, true, filter);
export const listenError = (fn: AnyFn) => subscribe('error', fn, false);
export const listenRisk = (fn: AnyFn) => subscribe('risk', fn, false);
export const listenRiskOnce = (filter: AnyFn, fn: AnyFn) => subscribe('risk', fn, true, filter);
export const listenPartialProfitAvailable = (fn: AnyFn) => subscribe('partialProfitAvailable', fn, false);
export const listenPartialLossAvailable = (fn: AnyFn) => subscribe('partialLossAvailable', fn, false);
export const listenBreakevenAvailable = (fn: AnyFn) => subscribe('breakevenAvailable', fn, false);
export const listenActivePing = (fn: AnyFn) => subscribe('activePing', fn, false);
export const listenActivePingOnce = (filter: AnyFn, fn: AnyFn) => subscribe('activePing', fn, true, filter);
export const listenSchedulePing = (fn: AnyFn) => subscribe('schedulePing', fn, false);
export const listenSchedulePingOnce = (filter: AnyFn, fn: AnyFn) => subscribe('schedulePing', fn, true, filter);
export const listenIdlePing = (fn: AnyFn) => subscribe('idlePing', fn, false);
export const listenIdlePingOnce = (filter: AnyFn, fn: AnyFn) => subscribe('idlePing', fn, true, filter);

// ---- running: the engine drives the run, so a module's own run calls do nothing ---------------------------

const ignoredRun = {
  background: (): (() => void) => () => undefined,
  run: async function* (): AsyncGenerator<never> {
    // The engine runs the strategy over the run's frame; a module's own Backtest.run yields nothing here.
  },
};

/** An object whose every member throws UnsupportedFunctionError naming `${name}.${member}`, except `allowed`. */
function unsupportedObject(name: string, allowed: Record<string, unknown> = {}): unknown {
  const target = function unsupported(): void {
    throw new UnsupportedFunctionError(name);
  };
  return new Proxy(target, {
    get(_t, prop) {
      if (typeof prop === 'symbol') return undefined;
      if (prop === 'then') return undefined; // not a thenable: `await` on it must not call into it
      if (prop in allowed) return allowed[prop];
      return () => {
        throw new UnsupportedFunctionError(`${name}.${prop}`);
      };
    },
    apply() {
      throw new UnsupportedFunctionError(name);
    },
    construct() {
      throw new UnsupportedFunctionError(name);
    },
  });
}

export const Backtest = unsupportedObject('Backtest', ignoredRun);
export const State = unsupportedObject('State', adapterSwitch('state'));
export const Memory = unsupportedObject('Memory', adapterSwitch('memory'));
export const Live = unsupportedObject('Live', ignoredRun);

const IMPLEMENTED: Record<string, unknown> = {
    addStrategySchema,
    addExchangeSchema,
    addFrameSchema,
    addRiskSchema,
    addSizingSchema,
    setConfig,
    getConfig,
    getDefaultConfig,
    getCandles,
    getAveragePrice,
    getClosePrice,
    getDate,
    getTimestamp,
    getMode,
    getSymbol,
    getContext,
    formatPrice,
    formatQuantity,
    getPendingSignal,
    getScheduledSignal,
    hasNoPendingSignal,
    hasNoScheduledSignal,
    getPositionEffectivePrice,
    getPositionPnlPercent,
    getPositionInvestedCount,
    getPositionInvestedCost,
    getPositionPnlCost,
    getPositionLevels,
    getPositionPartials,
    getPositionEntries,
    getPositionEstimateMinutes,
    getPositionCountdownMinutes,
    getPositionActiveMinutes,
    getPositionWaitingMinutes,
    getPositionHighestProfitPrice,
    getPositionHighestProfitTimestamp,
    getPositionHighestPnlPercentage,
    getPositionHighestPnlCost,
    getPositionHighestProfitMinutes,
    getPositionHighestProfitBreakeven,
    getPositionDrawdownMinutes,
    getPositionMaxDrawdownMinutes,
    getPositionMaxDrawdownPrice,
    getPositionMaxDrawdownTimestamp,
    getPositionMaxDrawdownPnlPercentage,
    getPositionMaxDrawdownPnlCost,
    getTotalPercentClosed,
    getTotalPercentHeld,
    getTotalCostClosed,
    getRemainingCostBasis,
    commitPartialProfit,
    commitPartialLoss,
    commitPartialProfitCost,
    commitPartialLossCost,
    commitTrailingStop,
    commitTrailingTake,
    commitTrailingStopCost,
    commitTrailingTakeCost,
    commitBreakeven,
    commitAverageBuy,
    commitClosePending,
    commitCancelScheduled,
    commitActivateScheduled,
    getSessionData,
    setSessionData,
    getSignalState,
    setSignalState,
    createSignalState,
    writeMemory,
    readMemory,
    listMemory,
    removeMemory,
    listenSignal,
    listenSignalOnce,
    listenSignalBacktest,
    listenSignalBacktestOnce,
    listenDoneBacktest,
    listenDoneBacktestOnce,
    listenError,
    listenRisk,
    listenRiskOnce,
    listenPartialProfitAvailable,
    listenPartialLossAvailable,
    listenBreakevenAvailable,
    listenActivePing,
    listenActivePingOnce,
    listenSchedulePing,
    listenSchedulePingOnce,
    listenIdlePing,
    listenIdlePingOnce,
    Backtest,
    Live,
    State,
    Memory,
};

/** The names our `backtest-kit` implements (Backtest and Live only as far as a module's own run call goes). */
export const SUPPORTED_FUNCTIONS: readonly string[] = Object.keys(IMPLEMENTED);

/** The module a strategy gets for `backtest-kit`: every 19.5.0 export, the unimplemented ones throwing. */
export function backtestKitModule(): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const name of BACKTEST_KIT_EXPORTS) out[name] = IMPLEMENTED[name] ?? unsupportedObject(name);
  return out;
}
