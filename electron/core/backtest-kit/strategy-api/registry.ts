import type { GlobalConfig } from './config';

/**
 * What a backtest-kit strategy module registers when it is imported: schemas, `setConfig` changes
 * and `listen*` subscriptions. Registration calls made while a module is evaluated land in that
 * module's Registrations, so each file keeps its own and a run starts from them afresh.
 */

/* eslint-disable @typescript-eslint/no-explicit-any -- user callbacks receive backtest-kit's loosely typed objects */
export type AnyFn = (...args: any[]) => any;

export interface StrategyCallbacks {
  onTick?: AnyFn;
  onOpen?: AnyFn;
  onActive?: AnyFn;
  onIdle?: AnyFn;
  onClose?: AnyFn;
  onSchedule?: AnyFn;
  onCancel?: AnyFn;
  onWrite?: AnyFn;
  onPartialProfit?: AnyFn;
  onPartialLoss?: AnyFn;
  onBreakeven?: AnyFn;
  onSchedulePing?: AnyFn;
  onActivePing?: AnyFn;
}

export interface StrategySchema {
  strategyName: string;
  interval?: string;
  note?: string;
  getSignal: (symbol: string, when: Date, currentPrice: number) => unknown;
  callbacks?: StrategyCallbacks;
  riskName?: string;
  riskList?: string[];
  sizingName?: string;
  actions?: unknown[];
}

export interface ExchangeSchema {
  exchangeName: string;
  note?: string;
  getCandles?: AnyFn;
  formatPrice?: (symbol: string, price: number, backtest: boolean) => unknown;
  formatQuantity?: (symbol: string, quantity: number, backtest: boolean) => unknown;
  callbacks?: Record<string, AnyFn>;
}

export interface FrameSchema {
  frameName: string;
  interval: string;
  startDate: Date;
  endDate: Date;
  note?: string;
  callbacks?: Record<string, AnyFn>;
}

export type RiskValidation = AnyFn | { validate: AnyFn; note?: string };

export interface RiskSchema {
  riskName: string;
  note?: string;
  validations?: RiskValidation[];
  callbacks?: { onRejected?: AnyFn; onAllowed?: AnyFn };
}

export interface SizingSchema {
  sizingName: string;
  method: string;
  [key: string]: unknown;
}

export type ListenerKind =
  | 'signal'
  | 'signalBacktest'
  | 'doneBacktest'
  | 'error'
  | 'risk'
  | 'partialProfitAvailable'
  | 'partialLossAvailable'
  | 'breakevenAvailable'
  | 'activePing'
  | 'schedulePing'
  | 'idlePing';

export interface Listener {
  kind: ListenerKind;
  fn: AnyFn;
  once: boolean;
  /** Keeps a filtered `*Once` subscription to the events its filter accepts. */
  filter?: AnyFn;
}

export class Registrations {
  readonly strategies = new Map<string, StrategySchema>();
  readonly exchanges = new Map<string, ExchangeSchema>();
  readonly frames = new Map<string, FrameSchema>();
  readonly risks = new Map<string, RiskSchema>();
  readonly sizings = new Map<string, SizingSchema>();
  readonly configChanges: Array<Partial<GlobalConfig>> = [];
  readonly listeners: Listener[] = [];
  /** Adapters the module switched on (`State.enable()`, `Memory.enable()`); backtest-kit refuses their functions otherwise. */
  readonly enabled = new Set<'state' | 'memory'>();
}

function requireName(schema: unknown, key: string, fn: string): string {
  const value = schema && typeof schema === 'object' ? (schema as Record<string, unknown>)[key] : undefined;
  if (typeof value !== 'string' || value.trim() === '') throw new Error(`${fn}: ${key} must be a non-empty string`);
  return value;
}

export function registerStrategy(r: Registrations, schema: StrategySchema): void {
  const name = requireName(schema, 'strategyName', 'addStrategySchema');
  if (typeof schema.getSignal !== 'function') throw new Error(`addStrategySchema(${name}): getSignal must be a function`);
  if (r.strategies.has(name)) throw new Error(`addStrategySchema: strategy ${name} already exist`);
  r.strategies.set(name, schema);
}

export function registerExchange(r: Registrations, schema: ExchangeSchema): void {
  const name = requireName(schema, 'exchangeName', 'addExchangeSchema');
  if (r.exchanges.has(name)) throw new Error(`addExchangeSchema: exchange ${name} already exist`);
  r.exchanges.set(name, schema);
}

export function registerFrame(r: Registrations, schema: FrameSchema): void {
  const name = requireName(schema, 'frameName', 'addFrameSchema');
  if (r.frames.has(name)) throw new Error(`addFrameSchema: frame ${name} already exist`);
  r.frames.set(name, schema);
}

export function registerRisk(r: Registrations, schema: RiskSchema): void {
  const name = requireName(schema, 'riskName', 'addRiskSchema');
  if (r.risks.has(name)) throw new Error(`addRiskSchema: risk ${name} already exist`);
  r.risks.set(name, schema);
}

export function registerSizing(r: Registrations, schema: SizingSchema): void {
  const name = requireName(schema, 'sizingName', 'addSizingSchema');
  if (r.sizings.has(name)) throw new Error(`addSizingSchema: sizing ${name} already exist`);
  r.sizings.set(name, schema);
}
