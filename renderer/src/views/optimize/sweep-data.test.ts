import { describe, expect, it } from 'vitest';
import type { TrialSummary } from '../../../../shared/domain/optimize';
import { heatmapOf, trialsCsv, variedParams } from './sweep-data';

const trial = (index: number, params: TrialSummary['params'], score: number | null): TrialSummary => ({
  trialId: `s.all.${index}`,
  sweepId: 's',
  index,
  phase: 'all',
  strategyName: 'sma-crossover',
  params,
  from: 0,
  to: 1,
  score,
  stats: null,
  durationMs: 1,
  worker: 'local',
  finishedAt: 1,
});

describe('optimize view data', () => {
  const trials = [trial(0, { fast: 5, slow: 20, tp: 1 }, 1), trial(1, { fast: 5, slow: 20, tp: 2 }, 3), trial(2, { fast: 10, slow: 20, tp: 1 }, null), trial(3, { fast: 10, slow: 30, tp: 1 }, -2)];

  it('lists the parameters that vary', () => {
    expect(variedParams(trials)).toEqual(['fast', 'slow', 'tp']);
  });

  it('keeps the best trial of each heatmap cell and the score range', () => {
    const h = heatmapOf(trials, 'fast', 'slow');
    expect(h.xs).toEqual([5, 10]);
    expect(h.ys).toEqual([20, 30]);
    const cell = h.cells.get(JSON.stringify([5, 20]))!;
    expect(cell).toMatchObject({ score: 3, trialId: 's.all.1', count: 2 });
    expect(h.cells.get(JSON.stringify([10, 20]))!.score).toBeNull();
    expect([h.min, h.max]).toEqual([-2, 3]);
  });

  it('exports one CSV row per trial with a column per parameter', () => {
    const lines = trialsCsv(trials).trim().split('\n');
    expect(lines).toHaveLength(5);
    expect(lines[0]!.split(',').slice(0, 8)).toEqual(['trialId', 'phase', 'index', 'strategyName', 'param.fast', 'param.slow', 'param.tp', 'score']);
    expect(lines[2]!.startsWith('s.all.1,all,1,sma-crossover,5,20,2,3,')).toBe(true);
  });
});
