import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import {
  sweepDefinitionSchema,
  type OptimizeProgressEvent,
  type SweepDefinition,
  type SweepDefinitionInput,
  type SweepSummary,
  type TrialSummary,
  type WalkForwardWindow,
} from '../../../shared/domain/optimize';
import type { Interval } from '../../../shared/candles';
import type { ParamField } from '../../../shared/domain/strategies';
import { paramFields } from '../engine/params-form';
import type { EngineLog } from '../engine/run-context';
import type { StrategyCatalog } from '../engine/strategy-catalog';
import { TrialCancelledError, type TrialExecutor } from './executors';
import { buildSpaces, SweepDefinitionError, type StrategySpace } from './param-space';
import type { StoredSweep, SweepStore, TrialSortKey } from './sweep-store';
import { plannerFor } from './trial-planner';
import type { TrialSpec } from './trial-spec';
import { phasesOf, type Phase } from './walk-forward';

const PROGRESS_EVERY_MS = 250;
const SAVE_EVERY_MS = 1_000;

export class SweepNotFoundError extends Error {
  override name = 'SweepNotFoundError';
  constructor(sweepId: string) {
    super(`no sweep with id ${sweepId}`);
  }
}

export class SweepConflictError extends Error {
  override name = 'SweepConflictError';
}

interface Active {
  sweep: StoredSweep;
  def: SweepDefinition;
  spaces: StrategySpace[];
  stopRequested: boolean;
  done: Promise<void>;
  /** Trials finished since the last progress event. */
  unsent: TrialSummary[];
  lastEmit: number;
  lastSave: number;
  sessionStart: number;
  doneAtSessionStart: number;
  /** What the strategies read around the range (backtest-kit files look back): the cache covers it. */
  before: number;
  after: number;
  /** Strategies whose trials read candles of another interval than the frame's (backtest-kit files: 1m). */
  candleIntervals: Map<string, Interval>;
  /** Progress writes, one after another: a late snapshot must never overwrite the final state. */
  saving: Promise<void>;
}

export interface SweepServiceOptions {
  store: SweepStore;
  executor: TrialExecutor;
  /** The same catalog runs use: both strategy formats, the user folder included. */
  catalog: StrategyCatalog;
  log?: EngineLog;
  /** Least time between two progress events (default 250 ms); tests that stop a sweep midway use 0. */
  progressEveryMs?: number;
}

/**
 * Runs parameter sweeps and strategy comparisons: validates the definition against the strategies'
 * parameter schemas, plans trials (grid, random, TPE; walk-forward windows), keeps the executor busy,
 * stores every trial in MongoDB and tracks the best, progress and ETA. A sweep's state is in MongoDB
 * (`optimize-sweeps`, `optimize-trials`): one that was running when the app stopped continues with
 * `resumeUnfinished`, a stopped one with `resume`, each redoing only the trials not stored.
 */
export class SweepService extends EventEmitter<{ progress: [OptimizeProgressEvent] }> {
  private readonly active = new Map<string, Active>();
  private closed = false;
  private workersCheckedAt = 0;
  private readonly log: EngineLog;

  constructor(private readonly options: SweepServiceOptions) {
    super();
    this.log = options.log ?? ((level, message) => console[level === 'info' ? 'info' : level](`[optimize] ${message}`));
  }

  /** Checks a definition: zod fields, then the strategies' parameter schemas; the error names each field. */
  async validate(input: SweepDefinitionInput): Promise<{ def: SweepDefinition; spaces: StrategySpace[] }> {
    const parsed = sweepDefinitionSchema.safeParse(input);
    if (!parsed.success) throw new SweepDefinitionError(parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })));
    const def = parsed.data;
    const fields = new Map<string, ParamField[]>();
    const issues: Array<{ path: string; message: string }> = [];
    for (const [i, s] of def.strategies.entries()) {
      try {
        fields.set(s.strategyName, paramFields((await this.options.catalog.load(s.strategyName)).params));
      } catch (error) {
        issues.push({ path: `strategies.${i}.strategyName`, message: error instanceof Error ? error.message : String(error) });
      }
    }
    if (issues.length > 0) throw new SweepDefinitionError(issues);
    try {
      phasesOf(def);
    } catch (error) {
      throw new SweepDefinitionError([{ path: 'walkForward', message: (error as Error).message }]);
    }
    return { def, spaces: buildSpaces(def, fields) };
  }

  async start(input: SweepDefinitionInput, sweepId: string = randomUUID()): Promise<SweepSummary> {
    if (this.closed) throw new Error('the optimizer is closed');
    const { def, spaces } = await this.validate(input);
    await this.options.store.ensureIndexes();
    if (await this.options.store.getSweep(sweepId)) throw new SweepConflictError(`a sweep with id ${sweepId} already exists`);
    const now = Date.now();
    const sweep: StoredSweep = {
      sweepId,
      definition: def,
      status: 'running',
      createdAt: now,
      updatedAt: now,
      done: 0,
      total: 0,
      best: null,
      executor: this.options.executor.kind,
      elapsedMs: 0,
    };
    if (def.name) sweep.name = def.name;
    await this.options.store.saveSweep(sweep);
    this.launch(sweep, def, spaces);
    return this.publicOf(sweep);
  }

  async stop(sweepId: string): Promise<SweepSummary> {
    const a = this.active.get(sweepId);
    if (!a) {
      const stored = await this.require(sweepId);
      return this.publicOf(stored);
    }
    a.stopRequested = true;
    await this.options.executor.cancel(sweepId);
    await a.done;
    return this.publicOf(a.sweep);
  }

  /** Continues a stopped (or interrupted) sweep with the trials it has not stored yet. */
  async resume(sweepId: string): Promise<SweepSummary> {
    if (this.closed) throw new Error('the optimizer is closed');
    const held = this.active.get(sweepId);
    if (held) return this.publicOf(held.sweep);
    const stored = await this.require(sweepId);
    if (stored.status === 'completed') return this.publicOf(stored);
    const { def, spaces } = await this.validate(stored.definition);
    stored.status = 'running';
    delete stored.error;
    delete stored.endedAt;
    stored.executor = this.options.executor.kind;
    await this.options.store.saveSweep(stored);
    this.launch(stored, def, spaces);
    return this.publicOf(stored);
  }

  /** The sweeps that were running when the app stopped, continued. */
  async resumeUnfinished(): Promise<string[]> {
    await this.options.store.ensureIndexes();
    const out: string[] = [];
    for (const s of await this.options.store.listUnfinished()) {
      if (this.active.has(s.sweepId)) continue;
      try {
        await this.resume(s.sweepId);
        out.push(s.sweepId);
      } catch (error) {
        this.log('error', `sweep ${s.sweepId} could not be resumed: ${(error as Error).message}`);
      }
    }
    return out;
  }

  async list(): Promise<SweepSummary[]> {
    const stored = await this.options.store.listSweeps();
    return stored.map((s) => this.publicOf(this.active.get(s.sweepId)?.sweep ?? s));
  }

  async get(sweepId: string): Promise<SweepSummary> {
    const a = this.active.get(sweepId);
    return this.publicOf(a ? a.sweep : await this.require(sweepId));
  }

  trials(sweepId: string, options: { phase?: string; sort?: TrialSortKey; limit?: number; offset?: number } = {}): Promise<{ items: TrialSummary[]; total: number }> {
    return this.options.store.trialsOf(sweepId, options);
  }

  /** Resolves when the sweep is no longer running in this process. */
  async waitFor(sweepId: string): Promise<SweepSummary> {
    await this.active.get(sweepId)?.done;
    return this.get(sweepId);
  }

  /**
   * Stops dispatching and waits for the trials in flight; running sweeps stay `running` in MongoDB,
   * so the next start on this database continues them.
   */
  async close(): Promise<void> {
    this.closed = true;
    const all = [...this.active.values()];
    for (const a of all) a.stopRequested = true;
    await Promise.all(all.map((a) => this.options.executor.cancel(a.sweep.sweepId)));
    await Promise.all(all.map((a) => a.done));
    await this.options.executor.close();
  }

  // ---- running ------------------------------------------------------------------------------------

  private async require(sweepId: string): Promise<StoredSweep> {
    const stored = await this.options.store.getSweep(sweepId);
    if (!stored) throw new SweepNotFoundError(sweepId);
    return stored;
  }

  private publicOf(s: StoredSweep): SweepSummary {
    const { elapsedMs: _e, ...rest } = s;
    return structuredClone(rest);
  }

  private launch(sweep: StoredSweep, def: SweepDefinition, spaces: StrategySpace[]): void {
    const a: Active = {
      sweep,
      def,
      spaces,
      stopRequested: false,
      done: Promise.resolve(),
      unsent: [],
      lastEmit: 0,
      lastSave: Date.now(),
      sessionStart: Date.now(),
      doneAtSessionStart: 0,
      before: 0,
      after: 0,
      candleIntervals: new Map(),
      saving: Promise.resolve(),
    };
    this.active.set(sweep.sweepId, a);
    a.done = this.run(a)
      .catch(async (error: unknown) => {
        const e = error instanceof Error ? error : new Error(String(error));
        this.log('error', `sweep ${sweep.sweepId} failed: ${e.message}`);
        sweep.status = 'failed';
        sweep.error = e.message;
        sweep.endedAt = Date.now();
      })
      .then(async () => {
        sweep.elapsedMs += Date.now() - a.sessionStart;
        sweep.updatedAt = Date.now();
        delete sweep.etaMs;
        try {
          await a.saving;
          await this.options.store.saveSweep(sweep);
        } catch (error) {
          this.log('error', `sweep ${sweep.sweepId}: its final state could not be stored: ${(error as Error).message}`);
        }
        this.emitProgress(a, true);
        this.active.delete(sweep.sweepId);
      });
  }

  private specOf(a: Active, phase: { name: string; from: number; to: number }, index: number, strategyName: string, params: TrialSpec['params']): TrialSpec {
    const d = a.def;
    const spec: TrialSpec = {
      trialId: `${a.sweep.sweepId}.${phase.name}.${index}`,
      sweepId: a.sweep.sweepId,
      index,
      phase: phase.name,
      strategyName,
      params,
      exchangeName: d.exchangeName,
      symbols: d.symbols,
      interval: d.interval,
      from: phase.from,
      to: phase.to,
      cacheFrom: d.from - a.before,
      cacheTo: d.to + a.after,
      costs: d.costs,
      scheduleTimeoutMinutes: d.scheduleTimeoutMinutes,
      objective: d.objective,
    };
    if (d.account) spec.account = d.account;
    const candleInterval = a.candleIntervals.get(strategyName);
    if (candleInterval && candleInterval !== d.interval) spec.candleInterval = candleInterval;
    return spec;
  }

  private async run(a: Active): Promise<void> {
    const { sweep, def } = a;
    // backtest-kit strategy files read candles around the range: the cache covers the widest.
    for (const s of def.strategies) {
      const w = (await this.options.catalog.load(s.strategyName)).candleWindow;
      a.before = Math.max(a.before, w?.beforeMs ?? 0);
      a.after = Math.max(a.after, w?.afterMs ?? 0);
      if (w?.interval) a.candleIntervals.set(s.strategyName, w.interval);
    }
    const phases = phasesOf(def);
    await this.options.executor.prepare(this.specOf(a, phases[0]!, 0, def.strategies[0]!.strategyName, {}));
    // Redis: the workers serving the queue are known from the start (then refreshed with the progress).
    if (this.options.executor.workerCount) {
      try {
        sweep.workers = await this.options.executor.workerCount();
        this.workersCheckedAt = Date.now();
      } catch (error) {
        this.log('warn', `could not count the queue's workers: ${(error as Error).message}`);
      }
    }
    const deadline = def.budget.seconds !== undefined ? Date.now() + Math.max(0, def.budget.seconds * 1000 - sweep.elapsedMs) : Infinity;
    const windows: WalkForwardWindow[] = [];
    sweep.total = 0;
    sweep.done = 0;
    a.doneAtSessionStart = 0;
    for (const [k, phase] of phases.entries()) {
      const planner = plannerFor(def, a.spaces, k);
      sweep.total += Number.isFinite(planner.total) ? planner.total + (phase.outOfSample ? 1 : 0) : 0;
    }
    sweep.best = null;
    for (const [k, phase] of phases.entries()) {
      if (a.stopRequested) break;
      const best = await this.runPhase(a, phase, k, deadline);
      if (phase.outOfSample) windows.push(await this.outOfSample(a, phase, k, best));
      if (def.walkForward) sweep.walkForward = windows;
    }
    if (a.stopRequested) {
      // A close (app stop) leaves the sweep `running` in MongoDB so the next start continues it.
      if (!this.closed) sweep.status = 'stopped';
      return;
    }
    sweep.status = 'completed';
    sweep.endedAt = Date.now();
  }

  /** One search: every planned trial not stored yet, `parallelism` at a time; returns the phase's best. */
  private async runPhase(a: Active, phase: Phase, phaseNumber: number, deadline: number): Promise<TrialSummary | null> {
    const planner = plannerFor(a.def, a.spaces, phaseNumber);
    const stored = (await this.options.store.trialsOf(a.sweep.sweepId, { phase: phase.name })).items;
    const doneIndexes = new Set<number>();
    let best: TrialSummary | null = null;
    const take = (t: TrialSummary): void => {
      doneIndexes.add(t.index);
      planner.observe(t.strategyName, { params: t.params, score: t.score });
      if (t.score !== null && (best === null || best.score === null || t.score > best.score)) best = t;
      this.considerBest(a, t);
    };
    for (const t of stored.sort((x, y) => x.index - y.index)) take(t);
    a.sweep.done += stored.length;
    a.doneAtSessionStart += stored.length;
    const inFlight = new Set<Promise<void>>();
    const limit = Math.max(1, Math.min(this.options.executor.capacity, planner.parallelism));
    let index = 0;
    for (;;) {
      while (!a.stopRequested && inFlight.size < limit && index < planner.total && Date.now() < deadline) {
        const i = index++;
        if (doneIndexes.has(i)) continue;
        const next = planner.next(i);
        const spec = this.specOf(a, phase, i, next.strategyName, next.params);
        const p: Promise<void> = this.options.executor.run(spec).then(
          (t) => {
            inFlight.delete(p);
            take(t);
            this.finished(a, t);
          },
          (error: unknown) => {
            inFlight.delete(p);
            if (error instanceof TrialCancelledError) return;
            // Storing the trial failed (MongoDB away): the sweep cannot account for it, so it stops.
            this.log('error', `sweep ${a.sweep.sweepId}: trial ${spec.trialId} could not be run or stored: ${(error as Error).message}`);
            a.stopRequested = true;
            a.sweep.error = `trial ${spec.trialId}: ${(error as Error).message}`;
          },
        );
        inFlight.add(p);
      }
      if (inFlight.size === 0) break;
      await Promise.race(inFlight);
    }
    return best;
  }

  /** The window's best parameters on its out-of-sample part (once: a stored check is reused). */
  private async outOfSample(a: Active, phase: Phase, k: number, best: TrialSummary | null): Promise<WalkForwardWindow> {
    const oos = phase.outOfSample!;
    const window: WalkForwardWindow = {
      window: k,
      inSample: { from: phase.from, to: phase.to },
      outOfSample: oos,
      best: best ? { trialId: best.trialId, strategyName: best.strategyName, params: best.params, score: best.score } : null,
    };
    if (!best || a.stopRequested) return window;
    const name = `${phase.name}-oos`;
    const spec = this.specOf(a, { name, ...oos }, 0, best.strategyName, best.params);
    let trial = await this.options.store.getTrial(spec.trialId);
    if (trial) {
      a.sweep.done++;
      a.doneAtSessionStart++;
    } else {
      try {
        trial = await this.options.executor.run(spec);
        this.finished(a, trial);
      } catch (error) {
        if (error instanceof TrialCancelledError) return window;
        throw error;
      }
    }
    window.outOfSampleTrialId = trial.trialId;
    window.outOfSampleScore = trial.score;
    window.outOfSampleStats = trial.stats;
    return window;
  }

  /** Redis: how many worker processes serve the queue (asked at most every 2 s, never awaited by a trial). */
  private refreshWorkers(a: Active): void {
    const count = this.options.executor.workerCount;
    if (!count || Date.now() - this.workersCheckedAt < 2_000) return;
    this.workersCheckedAt = Date.now();
    count.call(this.options.executor).then(
      (n) => void (a.sweep.workers = n),
      (error: unknown) => this.log('warn', `could not count the queue's workers: ${(error as Error).message}`),
    );
  }

  private considerBest(a: Active, t: TrialSummary): void {
    if (t.phase.endsWith('-oos') || t.score === null) return;
    const b = a.sweep.best;
    if (b === null || t.score > b.score) a.sweep.best = { trialId: t.trialId, strategyName: t.strategyName, params: t.params, score: t.score, stats: t.stats };
  }

  private finished(a: Active, t: TrialSummary): void {
    a.sweep.done++;
    a.unsent.push(t);
    const now = Date.now();
    const elapsed = (now - a.sessionStart) / 1000;
    const fresh = a.sweep.done - a.doneAtSessionStart;
    if (elapsed > 0 && fresh > 0) {
      a.sweep.rate = fresh / elapsed;
      const remaining = Math.max(0, a.sweep.total - a.sweep.done);
      let eta = a.sweep.total > 0 ? (remaining / a.sweep.rate) * 1000 : Infinity;
      if (a.def.budget.seconds !== undefined) eta = Math.min(eta, Math.max(0, a.def.budget.seconds * 1000 - a.sweep.elapsedMs - (now - a.sessionStart)));
      if (Number.isFinite(eta)) a.sweep.etaMs = eta;
    }
    a.sweep.updatedAt = now;
    if (now - a.lastEmit >= (this.options.progressEveryMs ?? PROGRESS_EVERY_MS)) this.emitProgress(a, false);
    if (now - a.lastSave >= SAVE_EVERY_MS) {
      a.lastSave = now;
      const snapshot = { ...a.sweep, elapsedMs: a.sweep.elapsedMs + (now - a.sessionStart) };
      a.saving = a.saving
        .then(() => this.options.store.saveSweep(snapshot))
        .catch((error: unknown) => this.log('warn', `sweep ${a.sweep.sweepId}: progress not stored: ${(error as Error).message}`));
    }
  }

  private emitProgress(a: Active, final: boolean): void {
    a.lastEmit = Date.now();
    const s = a.sweep;
    this.refreshWorkers(a);
    const event: OptimizeProgressEvent = { sweepId: s.sweepId, status: s.status, done: s.done, total: s.total, best: s.best, trials: a.unsent.splice(0) };
    if (s.workers !== undefined) event.workers = s.workers;
    if (!final && s.etaMs !== undefined) event.etaMs = s.etaMs;
    if (s.rate !== undefined) event.rate = s.rate;
    this.emit('progress', event);
  }
}
