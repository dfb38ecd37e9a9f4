import { z } from 'zod';
import { nonEmptyName, timestampSchema } from './common';

/** Signal rows as the Storage and Recent subsystems hold them (backtest-kit's vocabulary, DESIGN.md §2). */
export const POSITIONS = ['long', 'short'] as const;
export const SIGNAL_STATUSES = ['scheduled', 'opened', 'closed', 'cancelled'] as const;
/** backtest-kit's StrategyCloseReason: `liquidation` (isolated margin at -100%), `closed` (closed by hand / closePending). */
export const CLOSE_REASONS = ['take_profit', 'stop_loss', 'time_expired', 'liquidation', 'closed'] as const;
export const CANCEL_REASONS = ['timeout', 'price_reject', 'user'] as const;

export const positionSchema = z.enum(POSITIONS);
export const signalStatusSchema = z.enum(SIGNAL_STATUSES);
export const closeReasonSchema = z.enum(CLOSE_REASONS);
export const cancelReasonSchema = z.enum(CANCEL_REASONS);

/** backtest-kit's IStrategyPnL: percentage and cost with fees and slippage, prices they were taken at. */
export const pnlSchema = z.object({
  pnlPercentage: z.number(),
  pnlCost: z.number().optional(),
  pnlEntries: z.number().optional(),
  priceOpen: z.number().optional(),
  priceClose: z.number().optional(),
});

/** A peak-profit or max-drawdown snapshot: the pnl at the best / worst price seen, and when. */
export const pnlExtremeSchema = pnlSchema.extend({
  price: z.number().optional(),
  timestamp: z.number().optional(),
});

/** One DCA entry (backtest-kit's `_entry`): the first is the original open. */
export const signalEntrySchema = z.object({ price: z.number(), cost: z.number(), timestamp: z.number() });

/** One partial close (backtest-kit's `_partial`). */
export const partialCloseSchema = z.object({
  type: z.enum(['profit', 'loss']),
  percent: z.number(),
  currentPrice: z.number(),
  costBasisAtClose: z.number().optional(),
  entryCountAtClose: z.number().optional(),
  timestamp: z.number(),
});

const LIFETIME_RULE =
  'must be a number of minutes (0 or more), or Infinity for a position without a lifetime (null, its JSON form, is read as Infinity)';
const isLifetime = (v: unknown): v is number | null => v === null || v === Infinity || (typeof v === 'number' && Number.isFinite(v) && v >= 0);

/**
 * `minuteEstimatedTime`: backtest-kit allows Infinity (a position without a lifetime, once
 * CC_MAX_SIGNAL_LIFETIME_MINUTES is Infinity) and @backtest-kit/mongo stores it as the BSON double
 * Infinity. JSON cannot hold Infinity, so a row that went through JSON (backtest-kit's own file
 * persistence, our outage spool, the WebSocket transport) carries null, which backtest-kit reads
 * back as Infinity: so do we. 0 is the monitor's older stand-in for Infinity (see documents/signal-row.ts).
 */
export const minuteEstimatedTimeSchema = z
  .custom<number | null>(isLifetime, {
    error: (issue) => `${LIFETIME_RULE}; got ${typeof issue.input === 'number' ? String(issue.input) : issue.input === undefined ? 'nothing' : `a ${typeof issue.input}`}`,
  })
  .transform((minutes): number => minutes ?? Infinity);

/** The row's fields without the cross-field rules, for schemas that extend or pick from it (zod cannot extend a refined object). */
export const signalRowFieldsSchema = z.object({
  signalId: nonEmptyName,
  runId: z.string().optional(),
  symbol: nonEmptyName,
  strategyName: nonEmptyName,
  exchangeName: z.string(),
  frameName: z.string().optional(),
  backtest: z.boolean(),
  position: positionSchema,
  status: signalStatusSchema,
  priceOpen: z.number().finite(),
  priceTakeProfit: z.number().finite(),
  priceStopLoss: z.number().finite(),
  minuteEstimatedTime: minuteEstimatedTimeSchema,
  note: z.string().optional(),
  scheduledAt: timestampSchema.optional(),
  openedAt: timestampSchema.optional(),
  closedAt: timestampSchema.optional(),
  priceClose: z.number().finite().optional(),
  pnlPercent: z.number().finite().optional(),
  closeReason: closeReasonSchema.optional(),
  cancelReason: cancelReasonSchema.optional(),
  // What backtest-kit's IStorageSignalRow holds beyond the fields above. Optional: our engine
  // fills what it knows; a bot's rows carry all of them.
  /** Cost of the first entry in USD (CC_POSITION_ENTRY_COST by default). */
  cost: z.number().optional(),
  /** Leverage applied to the pnl percentage. */
  multiplier: z.number().optional(),
  /** Isolated margin: force-closed with `liquidation` at -100% leveraged pnl. */
  isolated: z.boolean().optional(),
  /** The price the row was written at (VWAP at open / schedule / close). */
  currentPrice: z.number().optional(),
  /** Realized pnl when closed, unrealized otherwise. */
  pnl: pnlSchema.optional(),
  peakProfit: pnlExtremeSchema.optional(),
  maxDrawdown: pnlExtremeSchema.optional(),
  entries: z.array(signalEntrySchema).optional(),
  partials: z.array(partialCloseSchema).optional(),
  /** Percent of the position already closed by partials (0-100). */
  partialExecuted: z.number().optional(),
  totalEntries: z.number().optional(),
  totalPartials: z.number().optional(),
  originalPriceOpen: z.number().optional(),
  originalPriceTakeProfit: z.number().optional(),
  originalPriceStopLoss: z.number().optional(),
  /** Trailing levels that replace priceStopLoss / priceTakeProfit while set. */
  trailingPriceStopLoss: z.number().optional(),
  trailingPriceTakeProfit: z.number().optional(),
  /** backtest-kit's row times (tick time), distinct from the lifecycle times above. */
  createdAt: timestampSchema.optional(),
  updatedAt: timestampSchema.optional(),
  /**
   * backtest-kit's remaining row fields, kept verbatim (`_peak`, `_fall`, `_isScheduled`,
   * `timestamp`, `priority`, …), so a row read from a bot and written back loses nothing.
   */
  kit: z.record(z.string(), z.unknown()).optional(),
});

export const signalRowSchema = signalRowFieldsSchema.superRefine((row, ctx) => {
  if (row.status === 'closed' && row.closeReason === undefined) {
    ctx.addIssue({ code: 'custom', path: ['closeReason'], message: 'a closed signal needs a closeReason' });
  }
  if (row.status === 'cancelled' && row.cancelReason === undefined) {
    ctx.addIssue({ code: 'custom', path: ['cancelReason'], message: 'a cancelled signal needs a cancelReason' });
  }
});

export type Position = z.infer<typeof positionSchema>;
export type SignalStatus = z.infer<typeof signalStatusSchema>;
export type CloseReason = z.infer<typeof closeReasonSchema>;
export type CancelReason = z.infer<typeof cancelReasonSchema>;
export type SignalRow = z.infer<typeof signalRowSchema>;
export type Pnl = z.infer<typeof pnlSchema>;
export type PnlExtreme = z.infer<typeof pnlExtremeSchema>;
export type SignalEntry = z.infer<typeof signalEntrySchema>;
export type PartialClose = z.infer<typeof partialCloseSchema>;

/** Statuses after which a signal never changes again; the Storage cap evicts these first. */
export const FINAL_SIGNAL_STATUSES: readonly SignalStatus[] = ['closed', 'cancelled'];
