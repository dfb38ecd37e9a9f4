import type { SweepSummary, TrialSummary } from '../../../../shared/domain/optimize';
import type { ParamValue } from '../../../../shared/domain/strategies';
import { csvCell } from '../../lib/export';

/** Pure helpers of the Optimize view: table rows, heatmap cells, exports (tested without a DOM). */

const STAT_COLUMNS = ['trades', 'winRate', 'totalPnlPercent', 'maxDrawdownPercent', 'sharpe', 'sortinoRatio', 'profitFactor', 'returnPercent'] as const;

/** Every parameter name the trials use, in first-seen order. */
export function paramNames(trials: readonly TrialSummary[]): string[] {
  const out: string[] = [];
  for (const t of trials) for (const k of Object.keys(t.params)) if (!out.includes(k)) out.push(k);
  return out;
}

/** Parameters that take more than one value across the trials: the ones a heatmap can show. */
export function variedParams(trials: readonly TrialSummary[]): string[] {
  return paramNames(trials).filter((k) => new Set(trials.map((t) => JSON.stringify(t.params[k]))).size > 1);
}

export function trialsCsv(trials: readonly TrialSummary[]): string {
  const params = paramNames(trials);
  const head = ['trialId', 'phase', 'index', 'strategyName', ...params.map((p) => `param.${p}`), 'score', ...STAT_COLUMNS, 'error', 'worker', 'durationMs'];
  const rows = trials.map((t) =>
    [
      csvCell(t.trialId),
      csvCell(t.phase),
      csvCell(t.index),
      csvCell(t.strategyName),
      ...params.map((p) => csvCell(t.params[p] === undefined ? undefined : String(t.params[p]))),
      csvCell(t.score),
      ...STAT_COLUMNS.map((k) => csvCell(t.stats?.[k] ?? undefined)),
      csvCell(t.error),
      csvCell(t.worker),
      csvCell(Math.round(t.durationMs)),
    ].join(','),
  );
  return [head.join(','), ...rows].join('\n') + '\n';
}

export function sweepJson(sweep: SweepSummary, trials: readonly TrialSummary[]): string {
  return JSON.stringify({ sweep, trials }, null, 2);
}

export interface HeatmapCell {
  x: ParamValue;
  y: ParamValue;
  /** The best score among the trials at (x, y) (other parameters vary); null: none scored. */
  score: number | null;
  trialId: string;
  count: number;
}

export interface Heatmap {
  xs: ParamValue[];
  ys: ParamValue[];
  cells: Map<string, HeatmapCell>;
  min: number;
  max: number;
}

const sortValues = (values: ParamValue[]): ParamValue[] =>
  [...values].sort((a, b) => (typeof a === 'number' && typeof b === 'number' ? a - b : String(a).localeCompare(String(b))));

export const cellKey = (x: ParamValue, y: ParamValue): string => JSON.stringify([x, y]);

/** Cells of two parameters; where other parameters vary, a cell shows the best trial at that point. */
export function heatmapOf(trials: readonly TrialSummary[], xParam: string, yParam: string): Heatmap {
  const cells = new Map<string, HeatmapCell>();
  const xs = new Set<ParamValue>();
  const ys = new Set<ParamValue>();
  let min = Infinity;
  let max = -Infinity;
  for (const t of trials) {
    const x = t.params[xParam];
    const y = t.params[yParam];
    if (x === undefined || y === undefined) continue;
    xs.add(x);
    ys.add(y);
    const key = cellKey(x, y);
    const cell = cells.get(key);
    if (t.score !== null) {
      min = Math.min(min, t.score);
      max = Math.max(max, t.score);
    }
    if (!cell) cells.set(key, { x, y, score: t.score, trialId: t.trialId, count: 1 });
    else {
      cell.count++;
      if (t.score !== null && (cell.score === null || t.score > cell.score)) {
        cell.score = t.score;
        cell.trialId = t.trialId;
      }
    }
  }
  return { xs: sortValues([...xs]), ys: sortValues([...ys]), cells, min, max };
}

/** Red (worst) through yellow to green (best). */
export function heatColor(score: number | null, min: number, max: number): string {
  if (score === null || !Number.isFinite(min)) return 'var(--border)';
  const f = max > min ? (score - min) / (max - min) : 1;
  const hue = Math.round(f * 120);
  return `hsl(${hue} 65% 42%)`;
}

/** Trials each worker stored and its mean time per trial (the Redis workers' throughput). */
export function throughputByWorker(trials: readonly TrialSummary[]): Array<{ worker: string; trials: number; meanMs: number }> {
  const by = new Map<string, { trials: number; ms: number }>();
  for (const t of trials) {
    const w = by.get(t.worker) ?? { trials: 0, ms: 0 };
    w.trials++;
    w.ms += t.durationMs;
    by.set(t.worker, w);
  }
  return [...by].map(([worker, w]) => ({ worker, trials: w.trials, meanMs: w.ms / w.trials })).sort((a, b) => a.worker.localeCompare(b.worker));
}

/** The strategies a sweep's trials belong to, in first-seen order (a multi-strategy sweep charts one at a time). */
export function strategyNames(trials: readonly TrialSummary[]): string[] {
  return [...new Set(trials.map((t) => t.strategyName))];
}

export interface ParallelAxis {
  /** A parameter name, or `score` for the objective (always the last axis). */
  name: string;
  /** Where a value sits on the axis, 0 (bottom) to 1 (top); numbers linearly, other values by their sorted order. */
  position(value: ParamValue | undefined): number | null;
  /** Labels at the bottom and the top. */
  low: string;
  high: string;
}

export interface ParallelLine {
  trialId: string;
  score: number;
  /** One position per axis (0..1), the objective last. */
  points: number[];
}

const label = (v: number): string => (Math.abs(v) >= 1000 || Number.isInteger(v) ? String(Math.round(v * 1000) / 1000) : v.toPrecision(3));

function axisOf(name: string, values: ParamValue[]): ParallelAxis {
  if (values.every((v) => typeof v === 'number')) {
    const nums = values as number[];
    const min = nums.reduce((m, v) => Math.min(m, v), Infinity);
    const max = nums.reduce((m, v) => Math.max(m, v), -Infinity);
    return { name, low: label(min), high: label(max), position: (v) => (typeof v !== 'number' ? null : max > min ? (v - min) / (max - min) : 0.5) };
  }
  const order = sortValues([...new Set(values)]).map((v) => JSON.stringify(v));
  return {
    name,
    low: JSON.parse(order[0]!) as string,
    high: JSON.parse(order.at(-1)!) as string,
    position: (v) => {
      const i = order.indexOf(JSON.stringify(v));
      return i < 0 ? null : order.length > 1 ? i / (order.length - 1) : 0.5;
    },
  };
}

/**
 * Parallel coordinates of scored trials: one axis per varied parameter and one for the objective,
 * one line per trial. At most `limit` lines, the best ones (the view stays responsive at 10,000
 * trials; the worst are the least interesting).
 */
export function parallelCoordinatesOf(trials: readonly TrialSummary[], limit = 2_000): { axes: ParallelAxis[]; lines: ParallelLine[]; min: number; max: number; shown: number; scored: number } {
  const scored = trials.filter((t): t is TrialSummary & { score: number } => t.score !== null);
  // Axes from every trial, so they do not change as scores come in.
  const params = variedParams(trials);
  const kept = [...scored].sort((a, b) => b.score - a.score).slice(0, limit);
  const scores = scored.map((t) => t.score);
  const min = scores.reduce((m, v) => Math.min(m, v), Infinity);
  const max = scores.reduce((m, v) => Math.max(m, v), -Infinity);
  const axes = params.map((p) => axisOf(p, trials.map((t) => t.params[p]).filter((v): v is ParamValue => v !== undefined)));
  axes.push(axisOf('score', scores));
  const lines: ParallelLine[] = [];
  for (const t of kept) {
    const points = axes.map((a, i) => (i === axes.length - 1 ? a.position(t.score) : a.position(t.params[a.name])));
    if (points.every((p): p is number => p !== null)) lines.push({ trialId: t.trialId, score: t.score, points });
  }
  // Worst first, so the best lines are drawn on top.
  lines.reverse();
  return { axes, lines, min, max, shown: lines.length, scored: scored.length };
}
