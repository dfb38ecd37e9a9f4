import type { StrategyDefinition } from '../engine/strategy';
import donchianBreakout from './donchian-breakout';
import rsiMeanReversion from './rsi-mean-reversion';
import smaCrossover from './sma-crossover';

/** The strategies that ship with the app; user modules with the same name cannot replace them. */
export const BUILTIN_STRATEGIES: readonly StrategyDefinition[] = [smaCrossover, rsiMeanReversion, donchianBreakout] as StrategyDefinition[];
