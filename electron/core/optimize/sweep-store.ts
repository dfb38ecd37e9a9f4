import type { Connection } from 'mongoose';
import type { SweepSummary, TrialSummary } from '../../../shared/domain/optimize';

/** Our own collections (backtest-kit has no sweeps): one document per sweep, one per finished trial. */
export const SWEEPS_COLLECTION = 'optimize-sweeps';
export const TRIALS_COLLECTION = 'optimize-trials';

type SweepDoc = Omit<SweepSummary, 'sweepId' | 'etaMs' | 'rate'> & { _id: string; elapsedMs: number };
type TrialDoc = TrialSummary & { _id: string; deliveries: number };

export type StoredSweep = SweepSummary & { elapsedMs: number };

function sweepOf(doc: SweepDoc): StoredSweep {
  const { _id, ...rest } = doc;
  return { sweepId: _id, ...rest };
}

function trialOf(doc: TrialDoc): TrialSummary {
  const { _id: _i, deliveries: _d, ...rest } = doc;
  return rest;
}

export type TrialSortKey = 'index' | 'score' | 'finishedAt';

/**
 * Sweeps and trials in MongoDB. A trial is written once: its id is the document's _id and the write
 * is an upsert that only inserts, so a trial delivered twice (a worker that stalled and was retried
 * elsewhere) is counted once; `deliveries` records how often it was reported.
 */
export class SweepStore {
  private indexed: Promise<void> | null = null;

  constructor(private readonly conn: Connection) {}

  private get sweeps() {
    return this.conn.collection<SweepDoc>(SWEEPS_COLLECTION);
  }
  private get trials() {
    return this.conn.collection<TrialDoc>(TRIALS_COLLECTION);
  }

  ensureIndexes(): Promise<void> {
    this.indexed ??= (async () => {
      await this.trials.createIndex({ sweepId: 1, index: 1 });
      await this.trials.createIndex({ sweepId: 1, score: -1 });
      await this.sweeps.createIndex({ createdAt: -1 });
    })();
    return this.indexed;
  }

  async saveSweep(sweep: StoredSweep): Promise<void> {
    const { sweepId, etaMs: _e, rate: _r, ...rest } = sweep;
    await this.sweeps.replaceOne({ _id: sweepId }, { ...rest }, { upsert: true });
  }

  async getSweep(sweepId: string): Promise<StoredSweep | null> {
    const doc = await this.sweeps.findOne({ _id: sweepId });
    return doc ? sweepOf(doc) : null;
  }

  async listSweeps(limit = 100): Promise<StoredSweep[]> {
    const docs = await this.sweeps.find({}).sort({ createdAt: -1 }).limit(limit).toArray();
    return docs.map(sweepOf);
  }

  async listUnfinished(): Promise<StoredSweep[]> {
    const docs = await this.sweeps.find({ status: 'running' }).toArray();
    return docs.map(sweepOf);
  }

  /** Inserts the trial unless it is already there; true when this call inserted it. */
  async recordTrial(trial: TrialSummary): Promise<boolean> {
    const result = await this.trials.updateOne({ _id: trial.trialId }, { $setOnInsert: { ...trial }, $inc: { deliveries: 1 } }, { upsert: true });
    return result.upsertedCount === 1;
  }

  async getTrial(trialId: string): Promise<TrialSummary | null> {
    const doc = await this.trials.findOne({ _id: trialId });
    return doc ? trialOf(doc) : null;
  }

  async trialsOf(sweepId: string, options: { phase?: string; sort?: TrialSortKey; limit?: number; offset?: number } = {}): Promise<{ items: TrialSummary[]; total: number }> {
    const filter: Record<string, unknown> = { sweepId };
    if (options.phase) filter.phase = options.phase;
    const sort: Record<string, 1 | -1> = options.sort === 'score' ? { score: -1, index: 1 } : options.sort === 'finishedAt' ? { finishedAt: -1 } : { index: 1 };
    const [docs, total] = await Promise.all([
      this.trials
        .find(filter)
        .sort(sort)
        .skip(options.offset ?? 0)
        .limit(options.limit ?? 100_000)
        .toArray(),
      this.trials.countDocuments(filter),
    ]);
    return { items: docs.map(trialOf), total };
  }

  /** How often each trial was reported (tests: a retried trial is stored once, reported maybe twice). */
  async deliveries(sweepId: string): Promise<Map<string, number>> {
    const docs = await this.trials.find({ sweepId }, { projection: { deliveries: 1 } }).toArray();
    return new Map(docs.map((d) => [d._id, d.deliveries]));
  }

  async deleteSweep(sweepId: string): Promise<void> {
    await this.trials.deleteMany({ sweepId });
    await this.sweeps.deleteOne({ _id: sweepId });
  }
}
