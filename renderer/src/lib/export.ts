import type { RunDetail, SignalRow } from '../../../shared/contract/domain';

/** Exports of a run for spreadsheets (CSV) and scripts (JSON), made in the page: nothing leaves the machine. */

const TRADE_COLUMNS: Array<[string, (r: SignalRow) => string | number | undefined]> = [
  ['signalId', (r) => r.signalId],
  ['symbol', (r) => r.symbol],
  ['position', (r) => r.position],
  ['status', (r) => r.status],
  ['openedAt', (r) => (r.openedAt === undefined ? undefined : new Date(r.openedAt).toISOString())],
  ['closedAt', (r) => (r.closedAt === undefined ? undefined : new Date(r.closedAt).toISOString())],
  ['priceOpen', (r) => r.priceOpen],
  ['priceClose', (r) => r.priceClose],
  ['priceTakeProfit', (r) => r.priceTakeProfit],
  ['priceStopLoss', (r) => r.priceStopLoss],
  ['closeReason', (r) => r.closeReason ?? r.cancelReason],
  ['pnlPercent', (r) => r.pnlPercent],
];

/** RFC 4180 quoting; a leading = + - @ is prefixed so a spreadsheet never runs a cell as a formula. */
export function csvCell(value: string | number | undefined | null): string {
  if (value === undefined || value === null) return '';
  let s = String(value);
  if (typeof value === 'string' && /^[=+\-@]/.test(s)) s = `'${s}`;
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function tradesCsv(rows: readonly SignalRow[]): string {
  const head = TRADE_COLUMNS.map(([k]) => k).join(',');
  return [head, ...rows.map((r) => TRADE_COLUMNS.map(([, get]) => csvCell(get(r))).join(','))].join('\n') + '\n';
}

/** One row per scope: the whole run, then each symbol. */
export function statsCsv(run: RunDetail): string {
  const scopes: Array<[string, RunDetail['stats']]> = [['all', run.stats], ...Object.entries(run.statsBySymbol)];
  const keys = [...new Set(scopes.flatMap(([, s]) => Object.keys(s ?? {})))];
  return [['scope', ...keys].join(','), ...scopes.map(([scope, s]) => [csvCell(scope), ...keys.map((k) => csvCell((s as Record<string, number | null> | undefined)?.[k]))].join(','))].join('\n') + '\n';
}

export function runJson(run: RunDetail): string {
  const { runId, kind, strategyName, exchangeName, symbols, interval, from, to, params, request, stats, statsBySymbol, signals, equity } = run;
  return JSON.stringify({ runId, kind, strategyName, exchangeName, symbols, interval, from, to, params, costs: request.costs, account: request.account, stats, statsBySymbol, trades: signals, equity }, null, 2);
}

export function downloadText(fileName: string, text: string, type: string): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

export function exportName(run: RunDetail, what: string, ext: string): string {
  const safe = `${run.strategyName}-${run.symbols.join('+')}-${run.runId.slice(0, 8)}`.replace(/[^\w.+-]+/g, '_');
  return `${safe}-${what}.${ext}`;
}
