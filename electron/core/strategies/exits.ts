import { z } from 'zod';
import type { Position } from '../../../shared/domain/runs';
import type { StrategySignal } from '../engine/strategy';

/** The exit parameters every built-in strategy shares. */
export const exitParams = {
  takeProfitPercent: z.number().positive().max(100).default(1).describe('Take-profit distance from the entry, percent'),
  stopLossPercent: z.number().positive().max(100).default(1).describe('Stop-loss distance from the entry, percent'),
  lifetimeMinutes: z.number().int().positive().max(525_600).default(240).describe('Close the position after this many minutes'),
};

export interface ExitParams {
  takeProfitPercent: number;
  stopLossPercent: number;
  lifetimeMinutes: number;
}

export function marketSignal(position: Position, price: number, p: ExitParams, note: string): StrategySignal {
  const up = 1 + p.takeProfitPercent / 100;
  const down = 1 - p.stopLossPercent / 100;
  return position === 'long'
    ? { position, priceTakeProfit: price * up, priceStopLoss: price * down, minuteEstimatedTime: p.lifetimeMinutes, note }
    : {
        position,
        priceTakeProfit: price * (1 - p.takeProfitPercent / 100),
        priceStopLoss: price * (1 + p.stopLossPercent / 100),
        minuteEstimatedTime: p.lifetimeMinutes,
        note,
      };
}
