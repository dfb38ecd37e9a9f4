import type { ParamValue } from '../../../shared/domain/strategies';
import { randomPoint, sampleAxis, snap, type Axis, type StrategySpace } from './param-space';

/**
 * Tree-structured Parzen Estimator (Bergstra et al. 2011), the model behind hyperopt's and Optuna's
 * default samplers, kept small: dimensions are modelled independently. The finished trials are split
 * at the `GAMMA` quantile of their scores into good and bad; each dimension gets a Parzen density
 * (Gaussian kernels on the [0,1]-scaled range, counts with a prior for choices) for both sets, and of
 * `CANDIDATES` draws from the good density the one with the highest good/bad ratio is proposed.
 *
 * Written here because npm has no maintained TypeScript TPE: `hyperopt` is a native addon (cmake at
 * install time), and the Bayesian-optimisation packages found are unmaintained JavaScript.
 */
const GAMMA = 0.25;
const CANDIDATES = 24;
const PRIOR_WEIGHT = 1;
const MIN_BANDWIDTH = 0.03;

export interface Observation {
  params: Record<string, ParamValue>;
  /** null (no score): ranked below every scored trial. */
  score: number | null;
}

function normalise(axis: Extract<Axis, { kind: 'range' }>, v: number): number {
  return axis.max === axis.min ? 0.5 : (v - axis.min) / (axis.max - axis.min);
}

function gaussian(x: number, mu: number, sigma: number): number {
  const z = (x - mu) / sigma;
  return Math.exp(-0.5 * z * z) / sigma;
}

/** A Parzen density on [0,1] with a uniform prior component, and a sampler for it. */
class NumericParzen {
  private readonly sigma: number;
  constructor(private readonly points: number[]) {
    const n = points.length;
    const mean = n ? points.reduce((a, b) => a + b, 0) / n : 0.5;
    const sd = n > 1 ? Math.sqrt(points.reduce((a, p) => a + (p - mean) ** 2, 0) / (n - 1)) : 0.5;
    this.sigma = Math.max(MIN_BANDWIDTH, 1.06 * Math.max(sd, 0.1) * Math.pow(Math.max(1, n), -0.2));
  }
  density(x: number): number {
    let sum = PRIOR_WEIGHT; // the uniform prior on [0,1] has density 1
    for (const p of this.points) sum += gaussian(x, p, this.sigma);
    return sum / (this.points.length + PRIOR_WEIGHT);
  }
  sample(random: () => number): number {
    const k = Math.floor(random() * (this.points.length + PRIOR_WEIGHT));
    if (k >= this.points.length) return random();
    // Box–Muller around the chosen kernel, folded back into [0,1].
    const g = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
    const v = this.points[k]! + g * this.sigma;
    return Math.min(1, Math.max(0, v));
  }
}

class ChoiceParzen {
  private readonly weights: number[];
  private readonly total: number;
  constructor(
    private readonly values: readonly ParamValue[],
    observed: readonly ParamValue[],
  ) {
    this.weights = values.map((v) => PRIOR_WEIGHT / values.length + observed.filter((o) => o === v).length);
    this.total = this.weights.reduce((a, b) => a + b, 0);
  }
  density(v: ParamValue): number {
    const i = this.values.indexOf(v);
    return i < 0 ? 0 : this.weights[i]! / this.total;
  }
  sample(random: () => number): ParamValue {
    let u = random() * this.total;
    for (let i = 0; i < this.values.length; i++) {
      u -= this.weights[i]!;
      if (u <= 0) return this.values[i]!;
    }
    return this.values.at(-1)!;
  }
}

/** The next parameter set to try, from the trials finished so far (random until `startup` of them). */
export function proposeTpe(space: StrategySpace, history: readonly Observation[], startup: number, random: () => number): Record<string, ParamValue> {
  if (history.length < startup || space.axes.length === 0) return randomPoint(space, random);
  const ranked = [...history].sort((a, b) => (b.score ?? -Infinity) - (a.score ?? -Infinity));
  const nGood = Math.max(1, Math.ceil(GAMMA * ranked.length));
  const good = ranked.slice(0, nGood);
  const bad = ranked.slice(nGood);
  const models = space.axes.map((axis) => {
    if (axis.kind === 'choices') {
      return { axis, l: new ChoiceParzen(axis.values, good.map((o) => o.params[axis.name]!)), g: new ChoiceParzen(axis.values, bad.map((o) => o.params[axis.name]!)) };
    }
    const pts = (set: readonly Observation[]): number[] => set.map((o) => normalise(axis, Number(o.params[axis.name])));
    return { axis, l: new NumericParzen(pts(good)), g: new NumericParzen(pts(bad)) };
  });
  let best: Record<string, ParamValue> | null = null;
  let bestRatio = -Infinity;
  for (let c = 0; c < CANDIDATES; c++) {
    const params: Record<string, ParamValue> = { ...space.fixed };
    let logRatio = 0;
    for (const m of models) {
      if (m.l instanceof ChoiceParzen) {
        const v = m.l.sample(random);
        params[m.axis.name] = v;
        logRatio += Math.log(m.l.density(v) + 1e-12) - Math.log((m.g as ChoiceParzen).density(v) + 1e-12);
      } else {
        const axis = m.axis as Extract<Axis, { kind: 'range' }>;
        const u = m.l.sample(random);
        const value = snap(axis, axis.min + u * (axis.max - axis.min));
        params[axis.name] = value;
        const x = normalise(axis, value);
        logRatio += Math.log(m.l.density(x) + 1e-12) - Math.log((m.g as NumericParzen).density(x) + 1e-12);
      }
    }
    if (logRatio > bestRatio) {
      bestRatio = logRatio;
      best = params;
    }
  }
  return best ?? Object.fromEntries(space.axes.map((a) => [a.name, sampleAxis(a, random())]));
}
