import { z } from 'zod';
import { nonEmptyName, timestampSchema } from './common';

/** Signal rows as the Storage and Recent subsystems hold them (backtest-kit's vocabulary, DESIGN.md §2). */
export const POSITIONS = ['long', 'short'] as const;
export const SIGNAL_STATUSES = ['scheduled', 'opened', 'closed', 'cancelled'] as const;
export const CLOSE_REASONS = ['take_profit', 'stop_loss', 'time_expired'] as const;
export const CANCEL_REASONS = ['timeout', 'price_reject', 'user'] as const;

export const positionSchema = z.enum(POSITIONS);
export const signalStatusSchema = z.enum(SIGNAL_STATUSES);
export const closeReasonSchema = z.enum(CLOSE_REASONS);
export const cancelReasonSchema = z.enum(CANCEL_REASONS);

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
  minuteEstimatedTime: z.number().nonnegative(),
  note: z.string().optional(),
  scheduledAt: timestampSchema.optional(),
  openedAt: timestampSchema.optional(),
  closedAt: timestampSchema.optional(),
  priceClose: z.number().finite().optional(),
  pnlPercent: z.number().finite().optional(),
  closeReason: closeReasonSchema.optional(),
  cancelReason: cancelReasonSchema.optional(),
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

/** Statuses after which a signal never changes again; the Storage cap evicts these first. */
export const FINAL_SIGNAL_STATUSES: readonly SignalStatus[] = ['closed', 'cancelled'];
