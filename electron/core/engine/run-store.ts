import { deserialize, serialize } from 'node:v8';
import { Schema, type Connection, type Model } from 'mongoose';
import type { EquityPoint, RunKind, RunRequest, RunStats, RunStatus, RunSummary, SignalRow } from '../../../shared/domain/runs';
import { BaseCRUD } from '../db/base-crud';

/**
 * What survives an app restart about a run: a paper/live run's checkpoint (enough to resume it where
 * it stopped) and, once any run has finished, its result (the run history).
 */
export interface StoredRun {
  runId: string;
  request: RunRequest;
  summary: RunSummary;
  /** Last fully processed candle (open time) per symbol; events up to it are persisted. */
  cursors: Record<string, number>;
  /** Written once the run is over; listings leave it out (it can be large). */
  result?: StoredRunResult;
  /**
   * The user's name for the run. Kept beside the summary, not in it: checkpoints and the final write
   * replace the summary and must not undo a rename made meanwhile. Reads put it into `summary.name`.
   */
  name?: string;
}

export interface StoredRunResult {
  statsBySymbol: Record<string, RunStats>;
  /** The equity curve, thinned to at most MAX_EQUITY_POINTS (each bucket keeps its low and high). */
  equity: EquityPoint[];
  /** The run's newest signal rows (at most MAX_KEPT_ROWS): its trades even after Storage trimmed them. */
  signals: SignalRow[];
  /** Rows of the run not kept here (beyond MAX_KEPT_ROWS). */
  signalsOmitted: number;
}

export const MAX_KEPT_ROWS = 5_000;
export const MAX_EQUITY_POINTS = 2_000;

export interface RunHistoryQuery {
  status?: RunStatus;
  kind?: RunKind;
  limit: number;
  offset?: number;
  /** Runs the caller lists from elsewhere (the ones this process holds). */
  excludeIds?: readonly string[];
}

export interface RunStore {
  save(run: StoredRun): Promise<void>;
  /** Runs that were queued or running when the app stopped. */
  listUnfinished(): Promise<StoredRun[]>;
  /** One stored run, its result included. */
  get(runId: string): Promise<StoredRun | null>;
  /** Stored runs newest first (by createdAt), without their results, and how many match. */
  list(query: RunHistoryQuery): Promise<{ items: StoredRun[]; total: number }>;
}

/** What the user changes about a stored run (the Sessions view's rename and delete). */
export interface RunStoreEditing {
  /** Names the run; false when the store has no such run. */
  rename(runId: string, name: string): Promise<boolean>;
  /** Removes the run's record; false when there was none. */
  remove(runId: string): Promise<boolean>;
}

const UNFINISHED: readonly RunStatus[] = ['running', 'queued'];

/** The stored run as readers see it: its name inside the summary. */
function named<R extends StoredRun>(run: R): R {
  if (run.name === undefined) return run;
  const { name, ...rest } = run;
  return { ...rest, summary: { ...run.summary, name } } as R;
}

function matches(run: StoredRun, q: RunHistoryQuery): boolean {
  return (!q.status || run.summary.status === q.status) && (!q.kind || run.summary.kind === q.kind) && !q.excludeIds?.includes(run.runId);
}

function withoutResult(run: StoredRun): StoredRun {
  const { result: _result, ...rest } = run;
  return rest;
}

/**
 * The run store without a database (tests, benchmarks, a run manager given none). Each run is kept
 * as its summary and its whole record serialized (the structured-clone format, outside the heap):
 * a finished backtest's record holds thousands of rows, and as objects every run's rows would stay
 * in the heap for the garbage collector to trace again at each collection, during later runs.
 */
export class InMemoryRunStore implements RunStore, RunStoreEditing {
  private readonly runs = new Map<string, { summary: RunSummary; record: Buffer; name?: string }>();
  async save(run: StoredRun): Promise<void> {
    const name = this.runs.get(run.runId)?.name;
    this.runs.set(run.runId, { summary: structuredClone(run.summary), record: serialize(run), ...(name !== undefined ? { name } : {}) });
  }
  private read(runId: string, withResult: boolean): StoredRun {
    const held = this.runs.get(runId)!;
    const run = deserialize(held.record) as StoredRun;
    const out = withResult ? run : withoutResult(run);
    return named(held.name !== undefined ? { ...out, name: held.name } : out);
  }
  async listUnfinished(): Promise<StoredRun[]> {
    return [...this.runs.entries()].filter(([, r]) => UNFINISHED.includes(r.summary.status)).map(([runId]) => this.read(runId, false));
  }
  async get(runId: string): Promise<StoredRun | null> {
    return this.runs.has(runId) ? this.read(runId, true) : null;
  }
  async list(q: RunHistoryQuery): Promise<{ items: StoredRun[]; total: number }> {
    const all = [...this.runs.entries()]
      .filter(([runId, r]) => matches({ runId, summary: r.summary } as StoredRun, q))
      .sort(([, a], [, b]) => b.summary.createdAt - a.summary.createdAt)
      .map(([runId]) => runId);
    const offset = q.offset ?? 0;
    return { items: all.slice(offset, offset + q.limit).map((runId) => this.read(runId, false)), total: all.length };
  }
  async rename(runId: string, name: string): Promise<boolean> {
    const run = this.runs.get(runId);
    if (run) run.name = name;
    return run !== undefined;
  }
  async remove(runId: string): Promise<boolean> {
    return this.runs.delete(runId);
  }
}

export const RUN_COLLECTION = 'run-items';

function runModel(conn: Connection): Model<StoredRun> {
  const existing = conn.models.RunItem as Model<StoredRun> | undefined;
  if (existing) return existing;
  const schema = new Schema<StoredRun>(
    {
      runId: { type: String, required: true },
      request: { type: Schema.Types.Mixed, required: true },
      summary: { type: Schema.Types.Mixed, required: true },
      cursors: { type: Schema.Types.Mixed, default: {} },
      result: { type: Schema.Types.Mixed },
      name: { type: String },
    },
    { collection: RUN_COLLECTION, minimize: false, versionKey: false },
  );
  schema.index({ runId: 1 }, { unique: true });
  schema.index({ 'summary.status': 1 });
  schema.index({ 'summary.createdAt': -1 });
  return conn.model<StoredRun>('RunItem', schema);
}

/** Runs in MongoDB (`run-items`, unique on runId), written with atomic upserts. */
export class RunDbService extends BaseCRUD<StoredRun> implements RunStore, RunStoreEditing {
  private indexes: Promise<void> | undefined;
  constructor(conn: Connection) {
    super(runModel(conn));
  }
  /** The unique index must exist before the first upsert, or two first writes could both insert. */
  ensureIndexes(): Promise<void> {
    this.indexes ??= this.model.init().then(() => undefined);
    return this.indexes;
  }
  async save(run: StoredRun): Promise<void> {
    await this.ensureIndexes();
    const set: Partial<StoredRun> = { request: run.request, summary: run.summary, cursors: run.cursors };
    if (run.result) set.result = run.result;
    await this.upsert({ runId: run.runId }, set);
  }
  async listUnfinished(): Promise<StoredRun[]> {
    await this.ensureIndexes();
    const rows = await this.model
      .find({ 'summary.status': { $in: UNFINISHED } }, { result: 0 })
      .sort({ 'summary.createdAt': 1 })
      .lean<Array<StoredRun & { _id: unknown }>>();
    return rows.map(({ _id, ...run }) => named(run));
  }
  async get(runId: string): Promise<StoredRun | null> {
    await this.ensureIndexes();
    const row = await this.model.findOne({ runId }).lean<StoredRun & { _id: unknown }>();
    if (!row) return null;
    const { _id, ...run } = row;
    return named(run);
  }
  async list(q: RunHistoryQuery): Promise<{ items: StoredRun[]; total: number }> {
    await this.ensureIndexes();
    const filter: Record<string, unknown> = {};
    if (q.status) filter['summary.status'] = q.status;
    if (q.kind) filter['summary.kind'] = q.kind;
    if (q.excludeIds?.length) filter.runId = { $nin: q.excludeIds };
    const [rows, total] = await Promise.all([
      this.model
        .find(filter, { result: 0 })
        .sort({ 'summary.createdAt': -1, runId: 1 })
        .skip(q.offset ?? 0)
        .limit(q.limit)
        .lean<Array<StoredRun & { _id: unknown }>>(),
      this.model.countDocuments(filter),
    ]);
    return { items: rows.map(({ _id, ...run }) => named(run)), total };
  }
  async rename(runId: string, name: string): Promise<boolean> {
    await this.ensureIndexes();
    const res = await this.model.updateOne({ runId }, { $set: { name } });
    return res.matchedCount > 0;
  }
  async remove(runId: string): Promise<boolean> {
    await this.ensureIndexes();
    const res = await this.model.deleteOne({ runId });
    return res.deletedCount > 0;
  }
}
