import type { SweepDefinition } from '../../../shared/domain/optimize';
import type { ParamValue } from '../../../shared/domain/strategies';
import { gridPoint, mixSeed, randomPoint, seededRandom, type StrategySpace } from './param-space';
import { proposeTpe, type Observation } from './tpe';

/**
 * Which trial comes at each index of a search. Grid and random trials are a pure function of the
 * index (a restarted sweep rebuilds exactly the trials it had not finished); TPE proposals also
 * depend on the trials finished so far.
 */
export interface TrialPlanner {
  /** Trials the search plans (Infinity: until the time budget runs out). */
  readonly total: number;
  /** How many may be in flight at once (TPE learns from finished trials, so it keeps few). */
  readonly parallelism: number;
  next(index: number): { strategyName: string; params: Record<string, ParamValue> };
  observe(strategyName: string, observation: Observation): void;
}

export function plannerFor(def: SweepDefinition, spaces: readonly StrategySpace[], phaseNumber: number): TrialPlanner {
  const method = def.mode === 'walker' ? 'grid' : def.search.method;
  const history = new Map<string, Observation[]>(spaces.map((s) => [s.strategyName, []]));
  const observe = (strategyName: string, o: Observation): void => void history.get(strategyName)?.push(o);
  const seed = def.search.seed + phaseNumber * 7_919;
  if (method === 'grid') {
    const gridTotal = spaces.reduce((n, s) => n + s.gridSize, 0);
    return {
      total: Math.min(gridTotal, def.budget.trials ?? Infinity),
      parallelism: Infinity,
      observe,
      next(index) {
        let rest = index;
        for (const space of spaces) {
          if (rest < space.gridSize) return { strategyName: space.strategyName, params: gridPoint(space, rest) };
          rest -= space.gridSize;
        }
        throw new Error(`grid index ${index} is past the grid (${gridTotal} points)`);
      },
    };
  }
  const finite = spaces.every((s) => Number.isFinite(s.gridSize));
  const total = def.budget.trials ?? (def.budget.seconds !== undefined ? Infinity : finite ? spaces.reduce((n, s) => n + s.gridSize, 0) : Infinity);
  return {
    total,
    parallelism: method === 'tpe' ? 4 : Infinity,
    observe,
    next(index) {
      const space = spaces[index % spaces.length]!;
      const random = seededRandom(mixSeed(seed, index));
      if (method === 'random') return { strategyName: space.strategyName, params: randomPoint(space, random) };
      return { strategyName: space.strategyName, params: proposeTpe(space, history.get(space.strategyName)!, def.search.startupTrials, random) };
    },
  };
}
