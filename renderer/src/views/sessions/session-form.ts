import type { Interval } from '../../../../shared/candles';
import type { ParamField, StrategyParams } from '../../../../shared/contract/domain';
import { ContractFailure } from '../../../../shared/contract/result';
import { formatTime, fromUtcInput } from '../../lib/format';

/** What the New session form checks before it sends anything: the trader reads these, not the contract. */

export interface StoredSeries {
  exchangeName: string;
  symbol: string;
  interval: Interval;
  count: number;
  first: number | null;
  last: number | null;
}

export interface FormValues {
  kind: 'backtest' | 'paper' | 'live';
  params: StrategyParams;
  paramFields: readonly ParamField[];
  symbols: readonly string[];
  /** The stored series of the chosen exchange and candle interval (what the symbol chips show). */
  available: readonly StoredSeries[];
  /** Of the candles the run reads (candleIntervalOf). */
  intervalMs: number;
  from: string;
  to: string;
  startingBalance: string;
  positionSizePercent: string;
  feePercent: string;
  slippagePercent: string;
}

/** Field name → message; `param.<name>` for strategy parameters. Empty when the form can be sent. */
export type FieldErrors = Record<string, string>;

/**
 * The interval of the candles a run reads: the strategy's own when it has one (a backtest-kit file
 * reads 1m candles whatever the run's interval), else the run's.
 */
export function candleIntervalOf(strategy: { candleInterval?: Interval } | undefined, interval: Interval): Interval {
  return strategy?.candleInterval ?? interval;
}

/** The stored series a run on this exchange can read (the symbol chips): those of the candle interval, not empty. */
export function runnableSeries<S extends StoredSeries>(series: readonly S[], exchangeName: string, candleInterval: Interval): S[] {
  return series.filter((s) => s.exchangeName === exchangeName && s.interval === candleInterval && s.count > 0);
}

/** Only the chosen symbols that the chips show: a symbol hidden by another interval or exchange is never sent. */
export function visibleSymbols(kind: FormValues['kind'], symbols: readonly string[], available: readonly StoredSeries[]): string[] {
  if (kind === 'live') return [...symbols];
  const shown = new Set(available.map((s) => s.symbol));
  return symbols.filter((s) => shown.has(s));
}

function numberIn(text: string, label: string, min: number, max: number, { exclusiveMin = false } = {}): string | undefined {
  const v = Number(text);
  if (text.trim() === '' || !Number.isFinite(v)) return `${label}: enter a number`;
  if (exclusiveMin ? v <= min : v < min) return `${label} must be ${exclusiveMin ? 'more than' : 'at least'} ${min}`;
  if (v > max) return `${label} must be at most ${max}`;
  return undefined;
}

export function validateParams(fields: readonly ParamField[], params: StrategyParams): FieldErrors {
  const out: FieldErrors = {};
  for (const f of fields) {
    if (f.type !== 'number' && f.type !== 'integer') continue;
    const v = params[f.name];
    if (typeof v !== 'number' || !Number.isFinite(v)) out[`param.${f.name}`] = `${f.label}: enter a number`;
    else if (f.type === 'integer' && !Number.isInteger(v)) out[`param.${f.name}`] = `${f.label} must be a whole number`;
    else if (f.min !== undefined && v < f.min) out[`param.${f.name}`] = `${f.label} must be at least ${f.min}`;
    else if (f.max !== undefined && v > f.max) out[`param.${f.name}`] = `${f.label} must be at most ${f.max}`;
  }
  return out;
}

export function validateForm(v: FormValues): FieldErrors {
  const out: FieldErrors = validateParams(v.paramFields, v.params);
  const symbols = visibleSymbols(v.kind, v.symbols, v.available);
  if (symbols.length === 0) out.symbols = 'Choose at least one symbol';
  if (v.kind !== 'live') {
    const from = fromUtcInput(v.from);
    const to = fromUtcInput(v.to);
    if (from === undefined) out.from = 'Enter the start as YYYY-MM-DD HH:mm (UTC)';
    if (to === undefined) out.to = 'Enter the end as YYYY-MM-DD HH:mm (UTC)';
    if (from !== undefined && to !== undefined) {
      if (to <= from) out.to = 'End must be after start';
      else {
        // The form knows what is stored: a range outside it would only create a failed run.
        const outside = v.available
          .filter((s) => symbols.includes(s.symbol) && s.first !== null && s.last !== null)
          .filter((s) => to <= s.first! || from > s.last!);
        if (outside.length > 0) {
          out.from = outside
            .map((s) => `No stored candles of ${s.symbol} in this range (stored ${formatTime(s.first)} → ${formatTime(s.last! + v.intervalMs)} UTC)`)
            .join('; ');
        }
      }
    }
  }
  const balance = numberIn(v.startingBalance, 'Starting balance', 0, 1e15, { exclusiveMin: true });
  if (balance) out.startingBalance = balance;
  const size = numberIn(v.positionSizePercent, 'Position size', 0, 100, { exclusiveMin: true });
  if (size) out.positionSizePercent = size;
  const fee = numberIn(v.feePercent, 'Fee', 0, 10);
  if (fee) out.feePercent = fee;
  const slippage = numberIn(v.slippagePercent, 'Slippage', 0, 10);
  if (slippage) out.slippagePercent = slippage;
  return out;
}

const FIELD_LABELS: Record<string, string> = {
  from: 'Start',
  to: 'End',
  symbols: 'Symbols',
  exchangeName: 'Exchange',
  interval: 'Interval',
  strategyName: 'Strategy',
  replaySpeed: 'Replay speed',
  'costs.feePercent': 'Fee',
  'costs.slippagePercent': 'Slippage',
  'account.startingBalance': 'Starting balance',
  'account.positionSizePercent': 'Position size',
};

/** Contract paths → the form's field names. */
function fieldOf(path: string): string {
  if (path.startsWith('costs.')) return path.slice(6);
  if (path.startsWith('account.')) return path.slice(8);
  if (path.startsWith('params.')) return `param.${path.split('.')[1]}`;
  return path.split('.')[0] ?? '';
}

/** zod's wording ("Too small: expected number to be >=1") as a trader would say it. */
function plain(message: string): string {
  const small = /^Too small: expected \w+ to (?:be|have) (>=?)\s*([-\d.e+]+)/.exec(message);
  if (small) return `must be ${small[1] === '>' ? 'more than' : 'at least'} ${small[2]}`;
  const big = /^Too big: expected \w+ to (?:be|have) (<=?)\s*([-\d.e+]+)/.exec(message);
  if (big) return `must be ${big[1] === '<' ? 'less than' : 'at most'} ${big[2]}`;
  const type = /^Invalid input: expected (\w+)/.exec(message);
  if (type) return type[1] === 'int' ? 'must be a whole number' : `must be a ${type[1]}`;
  if (message === 'must be after from') return 'must be after start';
  return message;
}

function sentence(label: string, message: string): string {
  const text = plain(message);
  // "fast must be shorter than slow" under the label "Fast": say the name once.
  const first = /^(\w+) /.exec(text)?.[1];
  const rest = first && first.toLowerCase() === label.toLowerCase() ? text.slice(first.length + 1) : text;
  return `${label} ${rest}`;
}

/**
 * A refused runs.start, in the form's words: field errors to show beside the fields and one line
 * for the box under the form. Parameter errors come from the engine as
 * `invalid parameters for strategy "x": fast: fast must be shorter than slow; slow: …`.
 */
export function explainStartError(error: unknown, fields: readonly ParamField[]): { message: string; fieldErrors: FieldErrors } {
  const fieldErrors: FieldErrors = {};
  const labelOf = (name: string): string => fields.find((f) => f.name === name)?.label ?? name;
  if (error instanceof ContractFailure && error.issues?.length) {
    for (const issue of error.issues) {
      const field = fieldOf(issue.path);
      const label = field.startsWith('param.') ? labelOf(field.slice(6)) : (FIELD_LABELS[issue.path] ?? FIELD_LABELS[field] ?? field);
      fieldErrors[field] = sentence(label, issue.message);
    }
    return { message: Object.values(fieldErrors).join('. '), fieldErrors };
  }
  const text = error instanceof Error ? error.message : String(error);
  const params = /invalid parameters for strategy "[^"]*": (.*)$/.exec(text);
  if (params) {
    for (const part of params[1]!.split('; ')) {
      const m = /^([\w.]+): (.*)$/.exec(part);
      if (!m) continue;
      const name = m[1]!.split('.')[0]!;
      fieldErrors[`param.${name}`] = sentence(labelOf(name), m[2]!);
    }
    return { message: Object.values(fieldErrors).join('. ') || text, fieldErrors };
  }
  return { message: text, fieldErrors };
}
