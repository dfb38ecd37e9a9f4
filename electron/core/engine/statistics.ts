import { DEFAULT_ACCOUNT, type Account, type EquityPoint, type RunStats, type SignalRow } from '../../../shared/domain/runs';

/**
 * Run statistics from closed signals only (cancelled ones never traded).
 *
 * Two views of the same trades, kept apart on purpose:
 * - backtest-kit's: `totalPnlPercent` is the SUM of per-trade PnL %, the `equity` curve adds them and
 *   `maxDrawdownPercent` is measured on that sum in percentage points. Easy to check by hand, but it
 *   runs past −100% on a losing strategy, which no account can.
 * - the account's: a starting balance where each trade puts `positionSizePercent` of the balance at
 *   that moment at risk, so returns compound (`returnPercent`, `finalBalance`, the `balance` curve)
 *   and the drawdown is a share of the previous peak (`equityMaxDrawdownPercent`, never above 100%).
 *   With 100% position size this is backtest-kit's own compounded equity ("as-if 100% allocation").
 *
 * The ratio set (Sharpe, Sortino, Calmar, certainty, expectancy, recovery) follows backtest-kit's
 * definitions and gates, so the numbers read the same in both tools: ratios need at least 10 trades,
 * annualising needs 14 calendar days and at most 365 trades a year.
 */
const MIN_TRADES_FOR_RATIOS = 10;
const MIN_SPAN_DAYS_TO_ANNUALISE = 14;
const MAX_TRADES_PER_YEAR = 365;
/** Above this |expected yearly return| % the estimate is noise, reported as null (as backtest-kit does). */
const MAX_EXPECTED_YEARLY_RETURNS = 100;
const MAX_CALMAR = 1000;
const EPSILON = 1e-9;
const DAY_MS = 86_400_000;

export function closedTrades(signals: readonly SignalRow[]): SignalRow[] {
  return signals.filter((s) => s.status === 'closed' && s.pnlPercent !== undefined).sort(byClose);
}

function byClose(a: SignalRow, b: SignalRow): number {
  return a.closedAt! - b.closedAt! || (a.signalId < b.signalId ? -1 : a.signalId > b.signalId ? 1 : 0);
}

/**
 * Closed trades as columns, in the order statistics read them (close time, then signal id): all
 * the statistics and the equity curve need of a row. A backtest's workers send their symbol's table
 * as transferable arrays and the main thread merges them (`mergeTrades`) instead of receiving,
 * sorting and walking every row object. NaN marks a field the row does not have.
 */
export interface TradeTable {
  length: number;
  closedAt: Float64Array;
  openedAt: Float64Array;
  pnlPercent: Float64Array;
  /** Worst moment inside the trade (maxDrawdown.pnlPercentage). */
  fallPercent: Float64Array;
  /** Best moment inside the trade (peakProfit.pnlPercentage). */
  peakPercent: Float64Array;
  /** Signal ids: the tie-break between trades closed at the same time. */
  ids: string[];
}

const TRADE_COLUMNS = ['closedAt', 'openedAt', 'pnlPercent', 'fallPercent', 'peakPercent'] as const;

function allocateTrades(length: number): TradeTable {
  return {
    length,
    closedAt: new Float64Array(length),
    openedAt: new Float64Array(length),
    pnlPercent: new Float64Array(length),
    fallPercent: new Float64Array(length),
    peakPercent: new Float64Array(length),
    ids: new Array<string>(length),
  };
}

export function tradeTableOf(signals: readonly SignalRow[]): TradeTable {
  const closed = closedTrades(signals);
  const t = allocateTrades(closed.length);
  closed.forEach((s, i) => {
    t.closedAt[i] = s.closedAt!;
    t.openedAt[i] = s.openedAt ?? NaN;
    t.pnlPercent[i] = s.pnlPercent!;
    t.fallPercent[i] = s.maxDrawdown?.pnlPercentage ?? NaN;
    t.peakPercent[i] = s.peakProfit?.pnlPercentage ?? NaN;
    t.ids[i] = s.signalId;
  });
  return t;
}

/** The buffers of a table, for a worker's transfer list. */
export function tradeBuffers(t: TradeTable): ArrayBuffer[] {
  return TRADE_COLUMNS.map((name) => t[name].buffer as ArrayBuffer);
}

/** Several tables (one per symbol) as one, in the same order `tradeTableOf` of all their rows gives. */
export function mergeTrades(tables: readonly TradeTable[]): TradeTable {
  if (tables.length === 1) return tables[0]!;
  const out = allocateTrades(tables.reduce((n, t) => n + t.length, 0));
  const at = new Array<number>(tables.length).fill(0);
  for (let i = 0; i < out.length; i++) {
    let best = -1;
    for (let k = 0; k < tables.length; k++) {
      const t = tables[k]!;
      if (at[k]! >= t.length) continue;
      if (best < 0) {
        best = k;
        continue;
      }
      const b = tables[best]!;
      const d = t.closedAt[at[k]!]! - b.closedAt[at[best]!]!;
      if (d < 0 || (d === 0 && t.ids[at[k]!]! < b.ids[at[best]!]!)) best = k;
    }
    const t = tables[best]!;
    const j = at[best]!++;
    out.closedAt[i] = t.closedAt[j]!;
    out.openedAt[i] = t.openedAt[j]!;
    out.pnlPercent[i] = t.pnlPercent[j]!;
    out.fallPercent[i] = t.fallPercent[j]!;
    out.peakPercent[i] = t.peakPercent[j]!;
    out.ids[i] = t.ids[j]!;
  }
  return out;
}

function accountOf(account: Partial<Account> | undefined): Account {
  return { ...DEFAULT_ACCOUNT, ...account };
}

/** The balance after a trade: the position's share of the balance gains or loses the trade's PnL %. Never below 0. */
function nextBalance(balance: number, pnlPercent: number, positionSizePercent: number): number {
  return Math.max(0, balance * (1 + (pnlPercent / 100) * (positionSizePercent / 100)));
}

export function equityCurve(signals: readonly SignalRow[], start: number, account?: Partial<Account>): EquityPoint[] {
  return equityOfTrades(tradeTableOf(signals), start, account);
}

export function equityOfTrades(t: TradeTable, start: number, account?: Partial<Account>): EquityPoint[] {
  const { startingBalance, positionSizePercent } = accountOf(account);
  const points: EquityPoint[] = [{ timestamp: start, equity: 0, balance: startingBalance }];
  let equity = 0;
  let balance = startingBalance;
  for (let i = 0; i < t.length; i++) {
    const p = t.pnlPercent[i]!;
    equity += p;
    balance = nextBalance(balance, p, positionSizePercent);
    points.push({ timestamp: t.closedAt[i]!, equity, balance });
  }
  return points;
}

function median(values: ArrayLike<number>): number | null {
  if (values.length === 0) return null;
  // A typed array sorts numerically without a comparator call per comparison.
  const sorted = Float64Array.from(values).sort();
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 0 ? (sorted[mid - 1]! + sorted[mid]!) / 2 : sorted[mid]!;
}

function sum(values: ArrayLike<number>): number {
  let total = 0;
  for (let i = 0; i < values.length; i++) total += values[i]!;
  return total;
}

const finiteOrNull = (v: number | null): number | null => (v === null || !Number.isFinite(v) ? null : v);
const clamp = (v: number, limit: number): number => Math.max(-limit, Math.min(limit, v));

export function computeStats(signals: readonly SignalRow[], account?: Partial<Account>): RunStats {
  return statsOfTrades(tradeTableOf(signals), openTradesOf(signals), account);
}

export function openTradesOf(signals: readonly SignalRow[]): number {
  let n = 0;
  for (const s of signals) if (s.status === 'opened') n++;
  return n;
}

/** `openTrades`: rows still open at the end (they are not in the table). */
export function statsOfTrades(t: TradeTable, openTrades: number, account?: Partial<Account>): RunStats {
  const { startingBalance, positionSizePercent } = accountOf(account);
  const pnls = t.pnlPercent.subarray(0, t.length);
  const trades = pnls.length;
  let wins = 0;
  let grossProfit = 0;
  let grossLoss = 0;
  let equity = 0;
  let peak = 0;
  let maxDrawdown = 0;
  let balance = startingBalance;
  let balancePeak = startingBalance;
  let balanceDrawdown = 0;
  for (let i = 0; i < trades; i++) {
    const p = pnls[i]!;
    // Mark-to-market: the worst moment inside the trade (when the row records it) is a trough
    // before the close is booked, as backtest-kit measures it.
    const fall = t.fallPercent[i]!;
    if (fall < 0) {
      const trough = nextBalance(balance, fall, positionSizePercent);
      balanceDrawdown = Math.max(balanceDrawdown, ((balancePeak - trough) / balancePeak) * 100);
    }
    if (p > 0) {
      wins++;
      grossProfit += p;
    } else {
      grossLoss -= p;
    }
    equity += p;
    peak = Math.max(peak, equity);
    maxDrawdown = Math.max(maxDrawdown, peak - equity);
    balance = nextBalance(balance, p, positionSizePercent);
    balancePeak = Math.max(balancePeak, balance);
    balanceDrawdown = Math.max(balanceDrawdown, ((balancePeak - balance) / balancePeak) * 100);
  }
  const total = sum(pnls);
  const avg = trades > 0 ? total / trades : null;
  let sharpe: number | null = null;
  let stdDev: number | null = null;
  if (trades >= 2 && avg !== null) {
    let squares = 0;
    for (let i = 0; i < trades; i++) squares += (pnls[i]! - avg) ** 2;
    const variance = squares / (trades - 1);
    stdDev = Math.sqrt(variance);
    sharpe = variance > 0 ? avg / stdDev : null;
  }

  // backtest-kit's set.
  const gated = trades >= MIN_TRADES_FOR_RATIOS && avg !== null;
  const sharpeRatio = gated && stdDev !== null && stdDev > EPSILON ? avg / stdDev : null;
  // One pass, sums in trade order (the same sums, in the same order, as over filtered copies).
  let firstOpen = Infinity;
  let lastClose = -Infinity;
  let durationSum = 0;
  let durationCount = 0;
  let peakSum = 0;
  let peakCount = 0;
  let fallSum = 0;
  let fallCount = 0;
  let winSum = 0;
  let winCount = 0;
  let lossSum = 0;
  let lossSquares = 0;
  let lossCount = 0;
  for (let i = 0; i < trades; i++) {
    const opened = t.openedAt[i]!;
    const closedAt = t.closedAt[i]!;
    firstOpen = Math.min(firstOpen, Number.isNaN(opened) ? closedAt : opened);
    lastClose = Math.max(lastClose, closedAt);
    if (!Number.isNaN(opened)) {
      durationSum += (closedAt - opened) / 60_000;
      durationCount++;
    }
    const peakPnl = t.peakPercent[i]!;
    if (!Number.isNaN(peakPnl)) {
      peakSum += peakPnl;
      peakCount++;
    }
    const fallPnl = t.fallPercent[i]!;
    if (!Number.isNaN(fallPnl)) {
      fallSum += fallPnl;
      fallCount++;
    }
    const p = pnls[i]!;
    if (p > 0) {
      winSum += p;
      winCount++;
    } else if (p < 0) {
      lossSum += p;
      lossSquares += p * p;
      lossCount++;
    }
  }
  const spanDays = trades > 0 ? (lastClose - firstOpen) / DAY_MS : 0;
  const tradesPerYear = trades >= MIN_TRADES_FOR_RATIOS && spanDays >= MIN_SPAN_DAYS_TO_ANNUALISE ? (trades / spanDays) * 365 : 0;
  const canAnnualise = tradesPerYear > 0 && tradesPerYear <= MAX_TRADES_PER_YEAR;
  const annualizedSharpeRatio = canAnnualise && sharpeRatio !== null ? sharpeRatio * Math.sqrt(tradesPerYear) : null;
  const blown = balance <= 0;
  const growth = balance / startingBalance;
  let expectedYearlyReturns: number | null = null;
  if (canAnnualise && !blown) {
    const raw = (growth ** (tradesPerYear / trades) - 1) * 100;
    expectedYearlyReturns = Math.abs(raw) > MAX_EXPECTED_YEARLY_RETURNS ? null : raw;
  }
  const avgWin = winCount ? winSum / winCount : 0;
  const avgLoss = lossCount ? lossSum / lossCount : 0;
  const certaintyRatio = gated && avgLoss < -EPSILON ? avgWin / Math.abs(avgLoss) : null;
  const expectancy = gated ? (winCount / trades) * avgWin + (lossCount / trades) * avgLoss : null;
  let sortinoRatio: number | null = null;
  if (gated && lossCount > 0) {
    const downside = Math.sqrt(lossSquares / trades);
    sortinoRatio = downside > EPSILON ? avg / downside : null;
  }
  const calmarRatio = balanceDrawdown > 0 && expectedYearlyReturns !== null ? clamp(expectedYearlyReturns / balanceDrawdown, MAX_CALMAR) : null;
  const recoveryFactor = !gated || blown || balanceDrawdown <= 0 ? null : clamp(((growth - 1) * 100) / balanceDrawdown, MAX_CALMAR);

  return {
    trades,
    wins,
    losses: trades - wins,
    winRate: trades > 0 ? wins / trades : null,
    totalPnlPercent: total,
    avgPnlPercent: avg,
    maxDrawdownPercent: maxDrawdown,
    sharpe,
    profitFactor: grossLoss > 0 ? grossProfit / grossLoss : null,
    startingBalance,
    positionSizePercent,
    finalBalance: balance,
    returnPercent: (growth - 1) * 100,
    equityMaxDrawdownPercent: balanceDrawdown,
    sharpeRatio: finiteOrNull(sharpeRatio),
    annualizedSharpeRatio: finiteOrNull(annualizedSharpeRatio),
    sortinoRatio: finiteOrNull(sortinoRatio),
    calmarRatio: finiteOrNull(calmarRatio),
    certaintyRatio: finiteOrNull(certaintyRatio),
    expectancy: finiteOrNull(expectancy),
    recoveryFactor: finiteOrNull(recoveryFactor),
    expectedYearlyReturns: finiteOrNull(expectedYearlyReturns),
    medianPnlPercent: median(pnls),
    avgDurationMinutes: durationCount ? durationSum / durationCount : null,
    // Only rows that record their best and worst moment count (no zeros for the others).
    avgPeakPnlPercent: peakCount ? peakSum / peakCount : null,
    avgFallPnlPercent: fallCount ? fallSum / fallCount : null,
    openTrades,
  };
}
