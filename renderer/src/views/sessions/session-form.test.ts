import { describe, expect, it } from 'vitest';
import type { ParamField } from '../../../../shared/contract/domain';
import { ContractFailure } from '../../../../shared/contract/result';
import { candleIntervalOf, explainStartError, runnableSeries, validateForm, visibleSymbols, type FormValues, type StoredSeries } from './session-form';

const JAN = Date.UTC(2018, 0, 1);
const DAY = 86_400_000;
const eth: StoredSeries = { exchangeName: 'binance', symbol: 'ETH/BTC', interval: '1m', count: 44_000, first: JAN, last: JAN + 30 * DAY };
const fields: ParamField[] = [
  { name: 'fast', label: 'Fast', type: 'integer', min: 1, default: 10 },
  { name: 'slow', label: 'Slow', type: 'integer', min: 2, default: 30 },
];
const base: FormValues = {
  kind: 'backtest',
  params: { fast: 10, slow: 30 },
  paramFields: fields,
  symbols: ['ETH/BTC'],
  available: [eth],
  intervalMs: 60_000,
  from: '2018-01-02 00:00',
  to: '2018-01-03 00:00',
  startingBalance: '10000',
  positionSizePercent: '100',
  feePercent: '0.1',
  slippagePercent: '0.1',
};

describe('New session form checks', () => {
  it('never keeps a symbol the chips do not show', () => {
    expect(visibleSymbols('backtest', ['DASH/BTC', 'ETH/BTC'], [eth])).toEqual(['ETH/BTC']);
    expect(visibleSymbols('live', ['BTC/USDT'], [])).toEqual(['BTC/USDT']);
    expect(validateForm({ ...base, symbols: ['DASH/BTC'] }).symbols).toBe('Choose at least one symbol');
  });

  it('accepts a good form', () => {
    expect(validateForm(base)).toEqual({});
  });

  it('says what is wrong in words, per field', () => {
    expect(validateForm({ ...base, params: { fast: -5, slow: 30 } })['param.fast']).toBe('Fast must be at least 1');
    expect(validateForm({ ...base, to: '2018-01-01 00:00' }).to).toBe('End must be after start');
    expect(validateForm({ ...base, from: '01/02/2018 4:00 PM' }).from).toMatch(/YYYY-MM-DD HH:mm/);
    expect(validateForm({ ...base, positionSizePercent: '150' }).positionSizePercent).toBe('Position size must be at most 100');
    expect(validateForm({ ...base, startingBalance: '0' }).startingBalance).toBe('Starting balance must be more than 0');
  });

  it('refuses a range with no stored candles, naming the stored range', () => {
    const e = validateForm({ ...base, from: '2019-01-01 00:00', to: '2019-02-01 00:00' });
    expect(e.from).toBe('No stored candles of ETH/BTC in this range (stored 2018-01-01 00:00 → 2018-01-31 00:01 UTC)');
  });

  it('turns contract and engine refusals into the form’s words', () => {
    const contract = explainStartError(new ContractFailure('invalid_payload', 'invalid runs.start payload: to: must be after from', [{ path: 'to', message: 'must be after from' }]), fields);
    expect(contract.message).toBe('End must be after start');
    expect(contract.fieldErrors.to).toBe('End must be after start');
    const engine = explainStartError(new Error('invalid parameters for strategy "sma-crossover": fast: fast must be shorter than slow; slow: Too small: expected number to be >=2'), fields);
    expect(engine.fieldErrors['param.fast']).toBe('Fast must be shorter than slow');
    expect(engine.fieldErrors['param.slow']).toBe('Slow must be at least 2');
  });
});

describe('the symbols a run can read', () => {
  const dash5m: StoredSeries = { exchangeName: 'binance', symbol: 'DASH/BTC', interval: '5m', count: 9_000, first: JAN, last: JAN + 30 * DAY };
  const xmr15m: StoredSeries = { exchangeName: 'binance', symbol: 'XMR/BTC', interval: '15m', count: 3_000, first: JAN, last: JAN + 30 * DAY };
  const empty1m: StoredSeries = { ...eth, symbol: 'XLM/BTC', count: 0, first: null, last: null };
  const stored = [eth, dash5m, xmr15m, empty1m];

  it('a backtest-kit file on a 15m frame reads 1m candles: its chips are the stored 1m series', () => {
    const candleInterval = candleIntervalOf({ candleInterval: '1m' }, '15m');
    expect(candleInterval).toBe('1m');
    expect(runnableSeries(stored, 'binance', candleInterval).map((s) => s.symbol)).toEqual(['ETH/BTC']);
  });

  it('a native strategy reads the run interval: its chips are the series stored at that interval', () => {
    expect(runnableSeries(stored, 'binance', candleIntervalOf({}, '15m')).map((s) => s.symbol)).toEqual(['XMR/BTC']);
    expect(runnableSeries(stored, 'binance', candleIntervalOf(undefined, '5m')).map((s) => s.symbol)).toEqual(['DASH/BTC']);
    expect(runnableSeries(stored, 'kraken', '1m')).toEqual([]);
  });
});
