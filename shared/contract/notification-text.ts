/**
 * A title and a one-line message for every notification type: backtest-kit's 31 (its
 * NotificationModel union) and the monitor's own run.* ones. Used by the core (bot notifications
 * seen in the database, OS notifications) and by the UI, so a notification reads the same
 * everywhere. `fields` is the notification's details (backtest-kit's model fields).
 */

type Fields = Readonly<Record<string, unknown>>;

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() !== '' ? v : undefined);

/** Prices with up to 8 significant digits, no exponent for normal crypto prices. */
export function formatPrice(v: unknown): string {
  const n = num(v);
  if (n === undefined) return '—';
  const abs = Math.abs(n);
  const digits = abs >= 1000 ? 2 : abs >= 1 ? 4 : 8;
  return Number(n.toFixed(digits)).toString();
}

export function formatPercent(v: unknown): string {
  const n = num(v);
  if (n === undefined) return '—';
  return `${n > 0 ? '+' : ''}${n.toFixed(2)}%`;
}

/** "1 trade", "2 trades", "0 trades": a count with its noun in the right number. */
export function countOf(n: number, noun: string, plural = `${noun}s`): string {
  return `${n} ${n === 1 ? noun : plural}`;
}

const humanize = (s: string): string => s.replace(/_/g, ' ');

function side(f: Fields): string {
  const p = str(f.position);
  return p ? `${p} ` : '';
}

function pnlOf(f: Fields): string {
  const pnl = num(f.pnlPercentage) ?? num((f.pnl as Fields | undefined)?.pnlPercentage) ?? num(f.pnlPercent);
  return pnl === undefined ? '' : `, PnL ${formatPercent(pnl)}`;
}

function at(f: Fields): string {
  const price = num(f.currentPrice) ?? num(f.priceClose);
  return price === undefined ? '' : ` at ${formatPrice(price)}`;
}

function orderKind(f: Fields): string {
  return f.orderType === 'schedule' ? 'scheduled order' : 'order';
}

type Describer = (f: Fields, symbol: string) => { title: string; message: string };

const DESCRIBERS: Record<string, Describer> = {
  'signal.opened': (f, s) => ({
    title: `${s}: ${side(f)}position opened`,
    message: `Entry ${formatPrice(f.priceOpen)}, take profit ${formatPrice(f.priceTakeProfit)}, stop loss ${formatPrice(f.priceStopLoss)}`,
  }),
  'signal.closed': (f, s) => ({
    title: `${s}: ${side(f)}position closed${str(f.closeReason) ? ` (${humanize(String(f.closeReason))})` : ''}`,
    message: `Closed${at(f)}${pnlOf(f)}`,
  }),
  'signal.scheduled': (f, s) => ({
    title: `${s}: ${side(f)}signal scheduled`,
    message: `Waits for entry ${formatPrice(f.priceOpen)}${at(f).replace(' at ', ', price now ')}`,
  }),
  'signal.cancelled': (f, s) => ({
    title: `${s}: scheduled signal cancelled${str(f.cancelReason) ? ` (${humanize(String(f.cancelReason))})` : ''}`,
    message: `Entry ${formatPrice(f.priceOpen)} was not reached${at(f).replace(' at ', ', price ')}`,
  }),
  'signal.info': (f, s) => ({ title: `${s}: signal note`, message: str(f.note) ?? 'The strategy reported on its position' }),
  'partial_profit.available': (f, s) => ({ title: `${s}: partial profit level ${num(f.level) ?? '?'}% reached`, message: `Price${at(f)}${pnlOf(f)}` }),
  'partial_loss.available': (f, s) => ({ title: `${s}: partial loss level ${num(f.level) ?? '?'}% reached`, message: `Price${at(f)}${pnlOf(f)}` }),
  'breakeven.available': (f, s) => ({ title: `${s}: breakeven available`, message: `Stop loss can move to entry ${formatPrice(f.priceOpen)}${at(f).replace(' at ', ', price ')}` }),
  'partial_profit.commit': (f, s) => ({ title: `${s}: partial profit taken`, message: `Closed ${num(f.percentToClose) ?? '?'}% of the position${at(f)}${pnlOf(f)}` }),
  'partial_loss.commit': (f, s) => ({ title: `${s}: partial loss taken`, message: `Closed ${num(f.percentToClose) ?? '?'}% of the position${at(f)}${pnlOf(f)}` }),
  'breakeven.commit': (f, s) => ({ title: `${s}: stop loss moved to breakeven`, message: `Stop loss now ${formatPrice(f.priceStopLoss)}${at(f).replace(' at ', ', price ')}` }),
  'average_buy.commit': (f, s) => ({
    title: `${s}: position averaged`,
    message: `Entry ${num(f.totalEntries) ?? '?'} bought${at(f)}, effective entry ${formatPrice(f.effectivePriceOpen ?? f.priceOpen)}`,
  }),
  'activate_scheduled.commit': (f, s) => ({ title: `${s}: scheduled signal activated`, message: `Opened early${at(f)}, entry ${formatPrice(f.priceOpen)}` }),
  'trailing_stop.commit': (f, s) => ({ title: `${s}: trailing stop moved`, message: `Stop loss now ${formatPrice(f.priceStopLoss)} (shift ${formatPercent(f.percentShift)})` }),
  'trailing_take.commit': (f, s) => ({ title: `${s}: trailing take profit moved`, message: `Take profit now ${formatPrice(f.priceTakeProfit)} (shift ${formatPercent(f.percentShift)})` }),
  'cancel_scheduled.commit': (f, s) => ({ title: `${s}: scheduled signal cancelled by the strategy`, message: `Entry ${formatPrice(f.priceOpen)} withdrawn${at(f).replace(' at ', ', price ')}` }),
  'close_pending.commit': (f, s) => ({ title: `${s}: position closed by the strategy`, message: `Closed${at(f)}${pnlOf(f)}` }),
  'order_sync.open': (f, s) => ({ title: `${s}: ${orderKind(f)} open confirmed`, message: `${side(f)}entry ${formatPrice(f.priceOpen)}${at(f).replace(' at ', ', price ')}`.replace(/^./, (c) => c.toUpperCase()) }),
  'order_sync.close': (f, s) => ({ title: `${s}: ${orderKind(f)} close confirmed`, message: `Closed${at(f)}${str(f.closeReason) ? ` (${humanize(String(f.closeReason))})` : ''}${pnlOf(f)}` }),
  'order_sync.check': (f, s) => ({ title: `${s}: ${orderKind(f)} checked with the exchange`, message: `Price${at(f)}${pnlOf(f)}` }),
  'order_continue.check': (f, s) => ({ title: `${s}: ${orderKind(f)} still open`, message: `Check attempt ${num(f.attempt) ?? '?'}${at(f).replace(' at ', ', price ')}` }),
  'order_stop.check': (f, s) => ({
    title: `${s}: ${orderKind(f)} stopped${str(f.reason) ? ` (${humanize(String(f.reason))})` : ''}`,
    message: `Gave up after attempt ${num(f.attempt) ?? '?'}${at(f).replace(' at ', ', price ')}`,
  }),
  'order_fill.open': (f, s) => ({ title: `${s}: entry order filled`, message: `${side(f)}filled${at(f)} (attempt ${num(f.attempt) ?? '?'})`.replace(/^./, (c) => c.toUpperCase()) }),
  'order_fill.close': (f, s) => ({ title: `${s}: exit order filled`, message: `Filled${at(f)}${str(f.closeReason) ? ` (${humanize(String(f.closeReason))})` : ''}${pnlOf(f)}` }),
  'order_reject.open': (f, s) => ({ title: `${s}: entry order rejected`, message: str(f.message) ?? `Attempt ${num(f.attempt) ?? '?'} was rejected` }),
  'order_reject.close': (f, s) => ({ title: `${s}: exit order rejected`, message: str(f.message) ?? `Attempt ${num(f.attempt) ?? '?'} was rejected` }),
  'risk.rejection': (f, s) => ({
    title: `${s}: signal rejected by risk`,
    message: str(f.rejectionNote) ?? `${num(f.activePositionCount) ?? '?'} active positions`,
  }),
  'error.info': (f) => ({ title: 'Error', message: str(f.message) ?? 'The bot reported an error' }),
  'error.critical': (f) => ({ title: 'Critical error', message: str(f.message) ?? 'The bot reported a critical error' }),
  'error.validation': (f) => ({ title: 'Validation error', message: str(f.message) ?? 'A signal failed validation' }),
  'strategy.pause': (f, s) => ({ title: `${s}: strategy ${f.paused === false ? 'resumed' : 'paused'}`, message: `${str(f.strategyName) ?? 'The strategy'} ${f.paused === false ? 'trades again' : 'opens no new positions'}` }),
  'run.started': (f) => ({ title: 'Run started', message: str(f.message) ?? str(f.strategyName) ?? '' }),
  'run.progress': (f) => ({ title: 'Run progress', message: str(f.message) ?? '' }),
  'run.completed': (f) => ({ title: 'Run completed', message: str(f.message) ?? '' }),
  'run.failed': (f) => ({ title: 'Run failed', message: str(f.message) ?? str(f.error) ?? '' }),
};

/** The types this module describes: backtest-kit's 31 and the monitor's run.* ones. */
export const DESCRIBED_NOTIFICATION_TYPES: readonly string[] = Object.keys(DESCRIBERS);

export function describeNotification(type: string, fields: Fields): { title: string; message: string } {
  const symbol = str(fields.symbol) ?? 'Bot';
  const describe = DESCRIBERS[type];
  if (describe) return describe(fields, symbol);
  return { title: `${symbol}: ${humanize(type)}`, message: str(fields.message) ?? str(fields.note) ?? '' };
}
