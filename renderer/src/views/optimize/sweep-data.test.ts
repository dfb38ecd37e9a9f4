import { describe, expect, it } from 'vitest';
import type { TrialSummary } from '../../../../shared/domain/optimize';
import { heatmapOf, parallelCoordinatesOf, strategyNames, throughputByWorker, trialsCsv, variedParams } from './sweep-data';

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

  it('places each scored trial on one axis per varied parameter plus the objective, best drawn last', () => {
    const withChoice = [...trials, trial(4, { fast: 15, slow: 30, tp: 1, side: 'long' }, 0), trial(5, { fast: 15, slow: 30, tp: 1, side: 'short' }, 2)];
    const pc = parallelCoordinatesOf(withChoice);
    expect(pc.axes.map((a) => a.name)).toEqual(['fast', 'slow', 'tp', 'side', 'score']);
    // The unscored trial and those without every axis (no `side`) have no line.
    expect(pc.lines.map((l) => l.trialId)).toEqual(['s.all.4', 's.all.5']);
    expect(pc.lines.at(-1)!.points).toEqual([1, 1, 0, 1, (2 - -2) / 5]);
    expect([pc.min, pc.max]).toEqual([-2, 3]);
    const plain = parallelCoordinatesOf(trials);
    expect(plain.lines.map((l) => l.trialId)).toEqual(['s.all.3', 's.all.0', 's.all.1']);
    expect(plain.lines.at(-1)!.points).toEqual([0, 0, 1, 1]);
    expect(plain.lines[0]!.points).toEqual([1, 1, 0, 0]);
  });

  it('draws only the best lines past the limit', () => {
    const many = Array.from({ length: 50 }, (_, i) => trial(i, { fast: i, slow: 20 + (i % 3) }, i));
    const pc = parallelCoordinatesOf(many, 10);
    expect(pc.shown).toBe(10);
    expect(pc.scored).toBe(50);
    expect(pc.lines.map((l) => l.score)).toEqual([40, 41, 42, 43, 44, 45, 46, 47, 48, 49]);
  });

  it('lists the strategies of a multi-strategy sweep in first-seen order', () => {
    const rsi = { ...trial(9, { period: 14 }, 1), strategyName: 'rsi-mean-reversion' };
    expect(strategyNames([trials[0]!, rsi, trials[1]!])).toEqual(['sma-crossover', 'rsi-mean-reversion']);
  });

  it('sums each Redis worker\'s trials and mean time per trial', () => {
    const on = (i: number, worker: string, durationMs: number): TrialSummary => ({ ...trial(i, { fast: i }, 1), worker, durationMs });
    expect(throughputByWorker([on(0, 'w1', 30), on(1, 'w0', 10), on(2, 'w1', 50)])).toEqual([
      { worker: 'w0', trials: 1, meanMs: 10 },
      { worker: 'w1', trials: 2, meanMs: 40 },
    ]);
  });
});
