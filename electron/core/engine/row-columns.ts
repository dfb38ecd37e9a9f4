import type { SignalRow } from '../../../shared/domain/runs';

/**
 * A symbol's signal rows as typed columns, built by its worker and decoded on the main thread only
 * for the rows it needs. JSON text per row cost a worker as much time as its replay and left
 * megabytes of strings as garbage after every symbol; here a row's known fields are numbers in one
 * Float64Array (strings as indices into one table, shared ones once), so packing allocates a few
 * buffers instead of a string per row, and the buffers move between threads without a copy.
 *
 * Lossless for any row: a field whose value does not fit its slot (and any field the slots do not
 * name: `kit`, `entries`, `partials`, a bot's extra keys) goes to the row's JSON "rest", which is
 * exactly what JSON text per row gave (undefined values dropped, as JSON drops them).
 */
export interface PackedRows {
  count: number;
  /** Row i, slot s at i × SLOTS + s: 1 when the row has that field. */
  present: Uint8Array;
  /** Same layout: the number, the boolean as 0/1, or the string's index in `table`. */
  values: Float64Array;
  /** Per row: 1 + the index in `table` of the JSON text of the fields no slot took, or 0. */
  rest: Uint32Array;
  /** The strings, UTF-8, one after another (a row decodes only its own: Recent reads one row a symbol). */
  table: Uint8Array;
  /** End offset in `table` of each string. */
  tableEnds: Uint32Array;
}

/** `unique`: a string no other row shares (the signal id), kept without looking for a twin. */
type Kind = 'string' | 'unique' | 'number' | 'boolean';
/** Sub-fields of backtest-kit's IStrategyPnL and of the peak/drawdown snapshots (all numbers). */
const PNL_FIELDS = ['pnlPercentage', 'pnlCost', 'pnlEntries', 'priceOpen', 'priceClose'];
const EXTREME_FIELDS = [...PNL_FIELDS, 'price', 'timestamp'];

/** The row's scalar fields in schema order (shared/domain/signals.ts), then its number-only objects. */
const SCALARS: ReadonlyArray<readonly [string, Kind]> = [
  ['signalId', 'unique'],
  ['runId', 'string'],
  ['symbol', 'string'],
  ['strategyName', 'string'],
  ['exchangeName', 'string'],
  ['frameName', 'string'],
  ['backtest', 'boolean'],
  ['position', 'string'],
  ['status', 'string'],
  ['priceOpen', 'number'],
  ['priceTakeProfit', 'number'],
  ['priceStopLoss', 'number'],
  ['minuteEstimatedTime', 'number'],
  ['note', 'string'],
  ['scheduledAt', 'number'],
  ['openedAt', 'number'],
  ['closedAt', 'number'],
  ['priceClose', 'number'],
  ['pnlPercent', 'number'],
  ['closeReason', 'string'],
  ['cancelReason', 'string'],
  ['cost', 'number'],
  ['multiplier', 'number'],
  ['isolated', 'boolean'],
  ['currentPrice', 'number'],
  ['partialExecuted', 'number'],
  ['totalEntries', 'number'],
  ['totalPartials', 'number'],
  ['originalPriceOpen', 'number'],
  ['originalPriceTakeProfit', 'number'],
  ['originalPriceStopLoss', 'number'],
  ['trailingPriceStopLoss', 'number'],
  ['trailingPriceTakeProfit', 'number'],
  ['createdAt', 'number'],
  ['updatedAt', 'number'],
];
const OBJECTS: ReadonlyArray<readonly [string, readonly string[]]> = [
  ['pnl', PNL_FIELDS],
  ['peakProfit', EXTREME_FIELDS],
  ['maxDrawdown', EXTREME_FIELDS],
];

/** Where a field goes: a scalar's slot, or an object's presence slot with its sub-fields' slots. */
interface Slot {
  slot: number;
  kind: Kind | 'object';
  /** What `typeof` a value must give to take the slot. */
  type: 'string' | 'number' | 'boolean' | 'object';
  fields?: Map<string, number>;
}
const SLOT_OF = new Map<string, Slot>();
let slots = 0;
for (const [key, kind] of SCALARS) SLOT_OF.set(key, { slot: slots++, kind, type: kind === 'unique' ? 'string' : kind });
for (const [key, fields] of OBJECTS) {
  const slot = slots++;
  SLOT_OF.set(key, { slot, kind: 'object', type: 'object', fields: new Map(fields.map((field) => [field, slots++])) });
}
const SLOTS = slots;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * UTF-8 cannot hold a lone surrogate (encoding would turn it into U+FFFD); such a string goes to the
 * row's JSON rest, which escapes it and gives it back as it was.
 */
const wellFormed = (text: string): boolean => (text as string & { isWellFormed(): boolean }).isWellFormed();

/** Whether every field of `value` is a number this object's sub-slots name. */
function fitsObject(value: unknown, fields: Map<string, number>): value is Record<string, number> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  for (const field in value) {
    if (!fields.has(field) || typeof (value as Record<string, unknown>)[field] !== 'number') return false;
  }
  return true;
}

/** In the worker: the rows packed, with the buffers to transfer. */
export function packRows(rows: readonly SignalRow[]): { packed: PackedRows; transfer: ArrayBuffer[] } {
  const count = rows.length;
  const present = new Uint8Array(count * SLOTS);
  const values = new Float64Array(count * SLOTS);
  const rest = new Uint32Array(count);
  const strings: string[] = [];
  const indexOf = new Map<string, number>();
  const intern = (text: string): number => {
    let index = indexOf.get(text);
    if (index === undefined) {
      index = strings.length;
      strings.push(text);
      indexOf.set(text, index);
    }
    return index;
  };
  for (let i = 0; i < count; i++) {
    const row = rows[i] as unknown as Record<string, unknown>;
    const base = i * SLOTS;
    let others: Record<string, unknown> | undefined;
    for (const key in row) {
      const value = row[key];
      const to = SLOT_OF.get(key);
      if (to !== undefined && to.fields === undefined && typeof value === to.type && (to.type !== 'string' || wellFormed(value as string))) {
        present[base + to.slot] = 1;
        values[base + to.slot] = to.kind === 'string' ? intern(value as string) : to.kind === 'unique' ? strings.push(value as string) - 1 : to.kind === 'boolean' ? (value ? 1 : 0) : (value as number);
        continue;
      }
      if (to?.fields !== undefined && fitsObject(value, to.fields)) {
        present[base + to.slot] = 1;
        for (const field in value) {
          const sub = to.fields.get(field)!;
          present[base + sub] = 1;
          values[base + sub] = value[field]!;
        }
        continue;
      }
      // No prototype: a `__proto__` key (JSON.parse makes one an own key) stays a plain field.
      (others ??= Object.create(null) as Record<string, unknown>)[key] = value;
    }
    if (others !== undefined) {
      const text = JSON.stringify(others);
      if (text !== '{}') rest[i] = 1 + intern(text);
    }
  }
  const { table, tableEnds } = encodeStrings(strings);
  return { packed: { count, present, values, rest, table, tableEnds }, transfer: [present.buffer, values.buffer, rest.buffer, table.buffer, tableEnds.buffer] };
}

function encodeStrings(strings: readonly string[]): { table: Uint8Array<ArrayBuffer>; tableEnds: Uint32Array<ArrayBuffer> } {
  let room = 0;
  for (const text of strings) room += text.length * 3; // UTF-8 takes at most 3 bytes per UTF-16 unit
  const bytes = new Uint8Array(room);
  const tableEnds = new Uint32Array(strings.length);
  let at = 0;
  strings.forEach((text, i) => {
    at += encoder.encodeInto(text, bytes.subarray(at)).written;
    tableEnds[i] = at;
  });
  return { table: bytes.slice(0, at), tableEnds };
}

/** Each packed set's strings decoded so far (a run's rows are read a page at a time). */
const decoded = new WeakMap<PackedRows, Array<string | undefined>>();

function stringsOf(p: PackedRows): (index: number) => string {
  let cache = decoded.get(p);
  if (cache === undefined) {
    cache = new Array<string | undefined>(p.tableEnds.length);
    decoded.set(p, cache);
  }
  const strings = cache;
  return (index) => (strings[index] ??= decoder.decode(p.table.subarray(index === 0 ? 0 : p.tableEnds[index - 1], p.tableEnds[index])));
}

/** Rows [from, to), decoded. */
export function unpackRows(p: PackedRows, from = 0, to = p.count): SignalRow[] {
  to = Math.min(to, p.count);
  if (to <= from) return [];
  const stringAt = stringsOf(p);
  const { present, values } = p;
  const out: SignalRow[] = new Array(to - from);
  for (let i = from; i < to; i++) {
    const base = i * SLOTS;
    const row: Record<string, unknown> = {};
    let slot = 0;
    for (; slot < SCALARS.length; slot++) {
      if (present[base + slot] === 0) continue;
      const [key, kind] = SCALARS[slot]!;
      const value = values[base + slot]!;
      row[key] = kind === 'string' || kind === 'unique' ? stringAt(value) : kind === 'boolean' ? value === 1 : value;
    }
    for (const [key, fields] of OBJECTS) {
      const own = slot++;
      if (present[base + own] === 1) {
        const object: Record<string, number> = {};
        for (let f = 0; f < fields.length; f++) if (present[base + slot + f] === 1) object[fields[f]!] = values[base + slot + f]!;
        row[key] = object;
      }
      slot += fields.length;
    }
    if (p.rest[i] !== 0) addFields(row, JSON.parse(stringAt(p.rest[i]! - 1)) as Record<string, unknown>);
    out[i - from] = row as SignalRow;
  }
  return out;
}

/** Copies `extra`'s fields onto `row` as own fields (`__proto__` included, as JSON.parse gave it). */
function addFields(row: Record<string, unknown>, extra: Record<string, unknown>): void {
  for (const key of Object.keys(extra)) Object.defineProperty(row, key, { value: extra[key], enumerable: true, writable: true, configurable: true });
}
