/**
 * Compares two runs' closed and cancelled results the way the differential suite requires:
 * timestamps, position and close/cancel reason exactly; prices and PnL within 1e-9 relative.
 */
export interface RunOutput {
  ms: number;
  results: Array<Record<string, unknown>>;
  /** What the strategy module's `probe()` export reports at the end (its own counters), if it has one. */
  probe?: unknown;
}

export interface Normalized {
  action: string;
  position: string;
  scheduledAt: number;
  pendingAt: number;
  closeTimestamp: number;
  reason: string;
  priceOpen: number;
  priceTakeProfit: number;
  priceStopLoss: number;
  pnlPercentage: number | null;
  pnlPriceOpen: number | null;
  pnlPriceClose: number | null;
}

export function normalize(result: Record<string, unknown>): Normalized {
  const s = result.signal as Record<string, number | string>;
  const pnl = result.pnl as Record<string, number> | undefined;
  return {
    action: String(result.action),
    position: String(s.position),
    scheduledAt: Number(s.scheduledAt),
    pendingAt: Number(s.pendingAt),
    closeTimestamp: Number(result.closeTimestamp),
    reason: String(result.action === 'closed' ? result.closeReason : result.reason),
    priceOpen: Number(s.priceOpen),
    priceTakeProfit: Number(s.priceTakeProfit),
    priceStopLoss: Number(s.priceStopLoss),
    pnlPercentage: pnl ? pnl.pnlPercentage! : null,
    pnlPriceOpen: pnl ? pnl.priceOpen! : null,
    pnlPriceClose: pnl ? pnl.priceClose! : null,
  };
}

const EXACT: Array<keyof Normalized> = ['action', 'position', 'scheduledAt', 'pendingAt', 'closeTimestamp', 'reason'];
const CLOSE: Array<keyof Normalized> = ['priceOpen', 'priceTakeProfit', 'priceStopLoss', 'pnlPercentage', 'pnlPriceOpen', 'pnlPriceClose'];

function near(a: number | null, b: number | null): boolean {
  if (a === null || b === null) return a === b;
  if (a === b) return true;
  return Math.abs(a - b) <= 1e-9 * Math.max(Math.abs(a), Math.abs(b));
}

/** Every difference, described; empty when the runs agree. */
export function differences(real: RunOutput, ours: RunOutput): string[] {
  const out: string[] = [];
  const a = real.results.map(normalize);
  const b = ours.results.map(normalize);
  if (a.length !== b.length) out.push(`backtest-kit has ${a.length} closed/cancelled results, ours ${b.length}`);
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    for (const key of EXACT) if (a[i]![key] !== b[i]![key]) out.push(`#${i} ${key}: backtest-kit ${String(a[i]![key])}, ours ${String(b[i]![key])}`);
    for (const key of CLOSE) if (!near(a[i]![key] as number | null, b[i]![key] as number | null)) out.push(`#${i} ${key}: backtest-kit ${String(a[i]![key])}, ours ${String(b[i]![key])}`);
    if (out.length > 20) break;
  }
  return out;
}
