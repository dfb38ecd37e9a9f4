import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { SignalRow } from '../../../shared/domain/runs';
import { signalRowFromPayload } from '../backtest-kit/documents';
import { packRows, unpackRows } from './row-columns';

const SAMPLES = resolve(dirname(fileURLToPath(import.meta.url)), '../../../../shared/data/backtest-kit/mongo-19.5.0-documents.json');

/** A row as our engine reports a closed trade. */
function engineRow(i: number): SignalRow {
  const openedAt = Date.UTC(2021, 0, 1) + i * 600_000;
  return {
    signalId: `run:ETH/USDT:${openedAt}`,
    runId: 'run',
    symbol: 'ETH/USDT',
    strategyName: 'sma-crossover',
    exchangeName: 'binance',
    frameName: 'f',
    backtest: true,
    position: i % 2 === 0 ? 'long' : 'short',
    status: 'closed',
    priceOpen: 100 + i / 7,
    priceTakeProfit: 101.1,
    priceStopLoss: 98.9,
    minuteEstimatedTime: 240,
    note: 'SMA cross up',
    openedAt,
    closeReason: 'take_profit',
    priceClose: 101.1,
    closedAt: openedAt + 300_000,
    pnlPercent: 0.9 + i / 1000,
    peakProfit: { pnlPercentage: 1.2, price: 101.3, timestamp: openedAt + 60_000 },
    maxDrawdown: { pnlPercentage: -0.4, price: 99.5, timestamp: openedAt + 120_000 },
  };
}

/** What a row's JSON text gives back: how rows crossed the thread before, so the floor for this codec. */
const viaJson = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

/** Packed in a worker, moved to another thread, decoded there. */
function roundTrip(rows: readonly SignalRow[], from?: number, to?: number): SignalRow[] {
  const { packed, transfer } = packRows(rows);
  return unpackRows(structuredClone(packed, { transfer }), from, to);
}

describe('signal rows as typed columns between a worker and the main thread', () => {
  it('gives back every field of the engine’s rows, closed, cancelled and still open', () => {
    const rows = Array.from({ length: 50 }, (_, i) => engineRow(i));
    rows[3] = { ...rows[3]!, status: 'cancelled', closeReason: undefined, cancelReason: 'timeout', scheduledAt: rows[3]!.openedAt, openedAt: undefined, priceClose: undefined, pnlPercent: undefined };
    rows.push({ ...engineRow(50), status: 'opened', closedAt: undefined, closeReason: undefined, priceClose: undefined, pnlPercent: undefined });
    expect(roundTrip(rows)).toEqual(viaJson(rows));
    // Absent fields stay absent (not present as undefined).
    expect(Object.keys(roundTrip(rows)[3]!)).not.toContain('openedAt');
  });

  it('gives back a real bot row (kit fields, entries, pnl) as JSON did', () => {
    const real = JSON.parse(readFileSync(SAMPLES, 'utf8')) as Record<string, { sample: Record<string, unknown> }>;
    const doc = real['storage-items']!.sample;
    const row = signalRowFromPayload(doc.payload as Record<string, unknown>, { backtest: doc.backtest as boolean });
    expect(row.kit).toBeDefined();
    expect(row.entries?.length).toBeGreaterThan(0);
    expect(roundTrip([row, engineRow(1), row])).toEqual(viaJson([row, engineRow(1), row]));
  });

  it('keeps what fits no slot in the row’s rest: extra keys, a wrong-typed field, an object with other fields', () => {
    const odd = {
      ...engineRow(2),
      priceOpen: '100.5',
      note: 'café ☕ "quoted", back\\slash',
      pnl: { pnlPercentage: 1, pnlCost: 2, pnlEntries: 100, priceOpen: 100, priceClose: 101 },
      peakProfit: { pnlPercentage: 1, price: 101, timestamp: 5, label: 'best' },
      maxDrawdown: {},
      partials: [{ type: 'profit', percent: 25, currentPrice: 101 }],
      botField: { nested: [1, 2, { deep: true }] },
      isolated: false,
      createdAt: 0,
    } as unknown as SignalRow;
    const [back] = roundTrip([odd]);
    expect(back).toEqual(viaJson(odd));
    expect((back as unknown as Record<string, unknown>).botField).toEqual({ nested: [1, 2, { deep: true }] });
  });

  it('keeps a `__proto__` field of a parsed document as a field, never as the row’s prototype', () => {
    const hostile = { ...engineRow(3), ...(JSON.parse('{"__proto__": {"polluted": true}}') as object) } as SignalRow;
    const [back] = roundTrip([hostile]);
    expect(Object.getPrototypeOf(back)).toBe(Object.prototype);
    expect((back as unknown as { polluted?: boolean }).polluted).toBeUndefined();
    expect(Object.getOwnPropertyDescriptor(back, '__proto__')?.value).toEqual({ polluted: true });
  });

  it('gives back a string with a lone surrogate as it was (UTF-8 alone would turn it into U+FFFD)', () => {
    const row = { ...engineRow(5), note: 'half a pair: \ud83d.' };
    const [back] = roundTrip([row]);
    expect(back!.note).toBe('half a pair: \ud83d.');
  });

  it('keeps numbers JSON could not (Infinity lifetime, -0), which JSON turned into null and 0', () => {
    const row = { ...engineRow(4), minuteEstimatedTime: Infinity, pnlPercent: -0 };
    const [back] = roundTrip([row]);
    expect(back!.minuteEstimatedTime).toBe(Infinity);
    expect(Object.is(back!.pnlPercent, -0)).toBe(true);
  });

  it('decodes a page [from, to) alone, and nothing past the end', () => {
    const rows = Array.from({ length: 30 }, (_, i) => engineRow(i));
    expect(roundTrip(rows, 10, 13)).toEqual(viaJson(rows.slice(10, 13)));
    expect(roundTrip(rows, 28, 99)).toEqual(viaJson(rows.slice(28)));
    expect(roundTrip(rows, 5, 5)).toEqual([]);
    expect(roundTrip([])).toEqual([]);
  });
});
