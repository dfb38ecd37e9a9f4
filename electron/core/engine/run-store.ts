import { Schema, type Connection, type Model } from 'mongoose';
import type { RunRequest, RunSummary } from '../../../shared/domain/runs';
import { BaseCRUD } from '../db/base-crud';

/** What survives an app restart about a paper/live run: enough to resume it where it stopped. */
export interface StoredRun {
  runId: string;
  request: RunRequest;
  summary: RunSummary;
  /** Last fully processed candle (open time) per symbol; events up to it are persisted. */
  cursors: Record<string, number>;
}

export interface RunStore {
  save(run: StoredRun): Promise<void>;
  /** Runs that were queued or running when the app stopped. */
  listUnfinished(): Promise<StoredRun[]>;
}

export class InMemoryRunStore implements RunStore {
  private readonly runs = new Map<string, StoredRun>();
  async save(run: StoredRun): Promise<void> {
    this.runs.set(run.runId, structuredClone(run));
  }
  async listUnfinished(): Promise<StoredRun[]> {
    return [...this.runs.values()].filter((r) => r.summary.status === 'running' || r.summary.status === 'queued').map((r) => structuredClone(r));
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
    },
    { collection: RUN_COLLECTION, minimize: false, versionKey: false },
  );
  schema.index({ runId: 1 }, { unique: true });
  schema.index({ 'summary.status': 1 });
  return conn.model<StoredRun>('RunItem', schema);
}

/** Paper/live runs in MongoDB (`run-items`, unique on runId), written with atomic upserts. */
export class RunDbService extends BaseCRUD<StoredRun> implements RunStore {
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
    await this.upsert({ runId: run.runId }, { request: run.request, summary: run.summary, cursors: run.cursors });
  }
  async listUnfinished(): Promise<StoredRun[]> {
    await this.ensureIndexes();
    const rows = await this.findByFilter({ 'summary.status': { $in: ['running', 'queued'] } }, { sort: { 'summary.createdAt': 1 } });
    return rows.map(({ id: _id, ...run }) => run);
  }
}
