import type { ParamField, ParamValue } from '../../../shared/domain/strategies';
import type { ParamRange, SweepDefinition } from '../../../shared/domain/optimize';

/** A grid larger than this is refused: a million trials is already days of work on one machine. */
export const MAX_GRID_POINTS = 1_000_000;

/** One searched dimension of a strategy's parameters. */
export type Axis =
  | { name: string; kind: 'range'; min: number; max: number; step?: number; integer: boolean }
  | { name: string; kind: 'choices'; values: ParamValue[] };

/** A strategy's search space: the searched axes plus the parameters held fixed. */
export interface StrategySpace {
  strategyName: string;
  axes: Axis[];
  fixed: Record<string, ParamValue>;
  /** Grid points (Infinity when an axis is continuous: a range without step). */
  gridSize: number;
}

export interface SweepIssue {
  path: string;
  message: string;
}

/** The sweep cannot run as asked; `issues` name each field. */
export class SweepDefinitionError extends Error {
  constructor(readonly issues: SweepIssue[]) {
    super(`invalid sweep: ${issues.map((i) => `${i.path || '(sweep)'}: ${i.message}`).join('; ')}`);
    this.name = 'SweepDefinitionError';
  }
}

const EPS = 1e-9;

/** Values of a range axis on its grid: min, min+step, … up to max (inclusive, within rounding). */
export function gridValues(axis: Extract<Axis, { kind: 'range' }>): number[] {
  const step = axis.step!;
  const n = Math.floor((axis.max - axis.min) / step + EPS) + 1;
  return Array.from({ length: n }, (_, i) => roundTo(axis.min + i * step, step));
}

/** Strips float noise (0.1 + 0.2) to the step's decimals, so params read as typed and compare equal. */
function roundTo(value: number, step: number): number {
  const decimals = Math.min(12, Math.max(0, -Math.floor(Math.log10(step)) + 2));
  return Number(value.toFixed(decimals));
}

export function axisSize(axis: Axis): number {
  if (axis.kind === 'choices') return axis.values.length;
  if (axis.step === undefined) return axis.min === axis.max ? 1 : Infinity;
  return Math.floor((axis.max - axis.min) / axis.step + EPS) + 1;
}

function checkValue(field: ParamField, value: ParamValue, path: string, issues: SweepIssue[]): void {
  const numeric = field.type === 'integer' || field.type === 'number';
  if (numeric && typeof value !== 'number') issues.push({ path, message: `${field.name} is a number; ${JSON.stringify(value)} is not` });
  else if (field.type === 'boolean' && typeof value !== 'boolean') issues.push({ path, message: `${field.name} is true or false` });
  else if ((field.type === 'string' || field.type === 'enum') && typeof value !== 'string') issues.push({ path, message: `${field.name} is text` });
  else if (field.type === 'enum' && !field.options!.includes(value as string)) issues.push({ path, message: `${JSON.stringify(value)} is not one of ${field.options!.join(', ')}` });
  else if (typeof value === 'number') {
    if (field.type === 'integer' && !Number.isInteger(value)) issues.push({ path, message: `${field.name} is an integer; ${value} is not` });
    if (field.min !== undefined && value < field.min) issues.push({ path, message: `${value} is below the parameter's minimum ${field.min}` });
    if (field.max !== undefined && value > field.max) issues.push({ path, message: `${value} is above the parameter's maximum ${field.max}` });
  }
}

function axisOf(field: ParamField, range: ParamRange, path: string, method: SweepDefinition['search']['method'], issues: SweepIssue[]): Axis | ParamValue | null {
  if ('fixed' in range) {
    checkValue(field, range.fixed, `${path}.fixed`, issues);
    return range.fixed;
  }
  if ('choices' in range) {
    range.choices.forEach((v, i) => checkValue(field, v, `${path}.choices.${i}`, issues));
    return { name: field.name, kind: 'choices', values: [...new Set(range.choices)] };
  }
  if (field.type !== 'integer' && field.type !== 'number') {
    issues.push({ path, message: `${field.name} is ${field.type === 'boolean' ? 'true/false' : 'text'}: give choices or a fixed value, not a range` });
    return null;
  }
  if (range.min > range.max) {
    issues.push({ path: `${path}.min`, message: `min (${range.min}) is greater than max (${range.max})` });
    return null;
  }
  checkValue(field, range.min, `${path}.min`, issues);
  checkValue(field, range.max, `${path}.max`, issues);
  const integer = field.type === 'integer';
  if (range.step !== undefined && integer && !Number.isInteger(range.step)) issues.push({ path: `${path}.step`, message: `${field.name} is an integer: the step must be a whole number` });
  if (range.step === undefined && method === 'grid' && !integer && range.min !== range.max) {
    issues.push({ path: `${path}.step`, message: 'a grid search needs a step for a decimal range' });
  }
  // Integer ranges without a step are stepped by 1 in a grid.
  const step = range.step ?? (integer && method === 'grid' ? 1 : undefined);
  return { name: field.name, kind: 'range', min: range.min, max: range.max, step, integer };
}

/**
 * Checks a sweep against the strategies' parameter schemas and builds the search spaces. Every
 * problem is reported with the path of its field (strategies.0.params.fast.min, …).
 */
export function buildSpaces(def: SweepDefinition, fieldsByStrategy: ReadonlyMap<string, ParamField[]>): StrategySpace[] {
  const issues: SweepIssue[] = [];
  const spaces: StrategySpace[] = [];
  def.strategies.forEach((s, si) => {
    const fields = fieldsByStrategy.get(s.strategyName);
    if (!fields) {
      issues.push({ path: `strategies.${si}.strategyName`, message: `unknown strategy "${s.strategyName}"` });
      return;
    }
    const byName = new Map(fields.map((f) => [f.name, f]));
    const axes: Axis[] = [];
    const fixed: Record<string, ParamValue> = {};
    for (const [param, range] of Object.entries(s.params)) {
      const path = `strategies.${si}.params.${param}`;
      const field = byName.get(param);
      if (!field) {
        issues.push({ path, message: `strategy "${s.strategyName}" has no parameter "${param}" (it has: ${fields.map((f) => f.name).join(', ') || 'none'})` });
        continue;
      }
      const made = axisOf(field, range, path, def.search.method, issues);
      if (made === null) continue;
      if (typeof made === 'object') {
        // Walker compares strategies as they are: a searched parameter there would be a sweep.
        if (def.mode === 'walker') issues.push({ path, message: 'walker mode compares strategies at fixed parameters: give a fixed value' });
        else if (axisSize(made) === 1) fixed[param] = made.kind === 'range' ? made.min : made.values[0]!;
        else axes.push(made);
      } else fixed[param] = made;
    }
    const gridSize = axes.reduce((n, a) => n * axisSize(a), 1);
    if (def.search.method === 'grid' && def.mode === 'sweep' && gridSize > MAX_GRID_POINTS) {
      issues.push({
        path: `strategies.${si}.params`,
        message: `the grid has ${gridSize.toExponential(2)} points (${axes.map((a) => `${a.name}: ${axisSize(a)}`).join(' x ')}); at most ${MAX_GRID_POINTS.toLocaleString('en')}: widen the steps, fix some parameters, or use random or tpe search with a budget`,
      });
    }
    spaces.push({ strategyName: s.strategyName, axes, fixed, gridSize });
  });
  if (def.search.method !== 'grid' && def.mode === 'sweep' && def.budget.trials === undefined && def.budget.seconds === undefined) {
    if (spaces.some((s) => !Number.isFinite(s.gridSize))) issues.push({ path: 'budget', message: `a ${def.search.method} search over a continuous range needs a budget (trials or seconds)` });
  }
  if (issues.length > 0) throw new SweepDefinitionError(issues);
  return spaces;
}

/** The grid point `index` of a space (mixed radix, first axis slowest), so any trial can be rebuilt from its index. */
export function gridPoint(space: StrategySpace, index: number): Record<string, ParamValue> {
  const out: Record<string, ParamValue> = { ...space.fixed };
  let rest = index;
  for (let a = space.axes.length - 1; a >= 0; a--) {
    const axis = space.axes[a]!;
    const values = axis.kind === 'choices' ? axis.values : gridValues(axis);
    out[axis.name] = values[rest % values.length]!;
    rest = Math.floor(rest / values.length);
  }
  return out;
}

/** A uniform draw from the space (on the step grid when the range has a step). */
export function randomPoint(space: StrategySpace, random: () => number): Record<string, ParamValue> {
  const out: Record<string, ParamValue> = { ...space.fixed };
  for (const axis of space.axes) out[axis.name] = sampleAxis(axis, random() );
  return out;
}

/** Maps u in [0,1) onto an axis. */
export function sampleAxis(axis: Axis, u: number): ParamValue {
  if (axis.kind === 'choices') return axis.values[Math.min(axis.values.length - 1, Math.floor(u * axis.values.length))]!;
  return snap(axis, axis.min + u * (axis.max - axis.min + (axis.step ?? (axis.integer ? 1 : 0))));
}

/** A value on the axis: clamped, on the step grid, an integer for integer parameters. */
export function snap(axis: Extract<Axis, { kind: 'range' }>, value: number): number {
  let v = Math.min(axis.max, Math.max(axis.min, value));
  if (axis.step !== undefined) v = roundTo(axis.min + Math.floor((v - axis.min) / axis.step + EPS) * axis.step, axis.step);
  else if (axis.integer) v = Math.floor(v);
  return Math.min(axis.max, Math.max(axis.min, v));
}

/** Deterministic PRNG (mulberry32): a trial's random draw is rebuilt from (seed, index) after a restart. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

export function mixSeed(seed: number, index: number): number {
  return (Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(index + 1, 0xc2b2ae35)) >>> 0;
}
