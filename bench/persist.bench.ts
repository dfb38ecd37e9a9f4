import { join } from 'node:path';
import type { LogLine } from '../shared/domain/logs';
import { ConnectionManager } from '../electron/core/db/connection-manager';
import { FileAdapter } from '../electron/core/persist/adapters/file-adapter';
import { JsonlAdapter } from '../electron/core/persist/adapters/jsonl-adapter';
import { MemoryAdapter } from '../electron/core/persist/adapters/memory-adapter';
import { MongoAdapter } from '../electron/core/persist/adapters/mongo-adapter';
import type { PersistAdapter } from '../electron/core/persist/contract';
import { WriteSpool } from '../electron/core/persist/spool';
import { StorageService } from '../electron/core/persist/services/storage-service';
import { DUMP, LOG, STATE, STORAGE, type DumpKey, type JsonValue, type LogKey, type StateKey, type StorageKey } from '../electron/core/persist/subsystems';
import { closedSignal } from '../electron/core/persist/test-support/fixtures';
import { TypedStore } from '../electron/core/persist/typed-store';
import type { SignalRow } from '../shared/domain/signals';
import type { Benchmark, BenchContext, BenchResult } from './harness';

/** Runs `op` over and over (in `concurrency` parallel lanes) for about `budgetMs`; returns ops per second. */
async function throughput(op: (i: number) => Promise<unknown>, budgetMs: number, concurrency = 1): Promise<{ perSecond: number; ops: number }> {
  let next = 0;
  const started = performance.now();
  const deadline = started + budgetMs;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline) await op(next++);
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  return { perSecond: Math.round(next / seconds), ops: next };
}

const KEYS = 200;
const stateKey = (i: number): StateKey => ({ signalId: `sig-${i % KEYS}`, bucketName: 'bench' });
const stateValue = (i: number): JsonValue => ({ i, stop: 100 + (i % 7), trail: [1, 2, 3, 4, 5], note: 'moved the stop after a higher low' });

const storageRow = (i: number): SignalRow => closedSignal(i, { signalId: `bench-${i}`, closedAt: 1_800_000_000_000 + i, runId: 'bench-run' });

/**
 * What a finished backtest costs the main thread in Storage: its newest rows written into a Storage
 * already at its cap (as many older closed rows), so the write also trims that many rows. `bulk`:
 * `writeMany`, the path BacktestWriter uses (10,000 rows, a backtest's share, and 1,000); `per_row`:
 * `upsert` of each row, the path before it (1,000 rows only: 10,000 take minutes on MongoDB), on
 * equal terms with the 1,000-row bulk figure (same rows, same full store). Wall time and the
 * process's CPU time (the main thread's work; the database server runs in its own process).
 */
const STORAGE_CASES: ReadonlyArray<{ path: 'bulk' | 'per_row'; rows: number }> = [
  { path: 'bulk', rows: 10_000 },
  { path: 'bulk', rows: 1_000 },
  { path: 'per_row', rows: 1_000 },
];

export async function measureStorageWrites(
  ctx: Pick<BenchContext, 'log'>,
  label: string,
  open: () => Promise<PersistAdapter<StorageKey, SignalRow>>,
  cases = STORAGE_CASES,
): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  for (const { path, rows } of cases) {
    const adapter = await open();
    const storage = new StorageService(new TypedStore(STORAGE, adapter), rows, true);
    await storage.writeMany(Array.from({ length: rows }, (_, i) => storageRow(i)));
    const newer = Array.from({ length: rows }, (_, i) => storageRow(rows + i));
    const cpu = process.cpuUsage();
    const started = performance.now();
    if (path === 'bulk') await storage.writeMany(newer);
    else for (const row of newer) await storage.upsert(row);
    const wallMs = Math.round(performance.now() - started);
    const used = process.cpuUsage(cpu);
    const cpuMs = Math.round((used.user + used.system) / 1000);
    const kept = (await storage.listSignals({}, { limit: 1 })).total;
    ctx.log(`storage ${label} ${path} ${rows}: ${wallMs} ms wall, ${cpuMs} ms CPU, ${kept} rows kept`);
    const name = `persist.storage.${label === 'mongodb' ? '' : `${label}.`}write_${rows / 1000}k${path === 'bulk' ? '' : '_per_row'}`;
    const how = path === 'bulk' ? 'StorageService.writeMany (one batch)' : 'StorageService.upsert per row';
    const what = `${rows.toLocaleString('en-US')} rows into a ${label} Storage at its ${rows.toLocaleString('en-US')}-row cap (trims as many)`;
    results.push(
      { name: `${name}_ms`, value: wallMs, unit: 'ms', note: `${how}: ${what}` },
      { name: `${name}_cpu_ms`, value: cpuMs, unit: 'ms', note: `process CPU time of the same write` },
    );
    await adapter.close();
  }
  return results;
}

const persist: Benchmark = async (ctx) => {
  const results: BenchResult[] = [];
  const budget = Number(process.env.PERSIST_BENCH_MS ?? 2_000);

  async function measureKeyValue(name: string, adapter: PersistAdapter<StateKey, JsonValue>, note: string): Promise<void> {
    const store = new TypedStore(STATE, adapter);
    const writes = await throughput((i) => store.write(stateKey(i), stateValue(i)), budget);
    const reads = await throughput((i) => store.read(stateKey(i)), budget);
    const parallel = await throughput((i) => store.write(stateKey(i), stateValue(i)), budget, 16);
    ctx.log(`${name}: ${writes.ops} writes, ${reads.ops} reads, ${parallel.ops} parallel writes`);
    results.push(
      { name: `persist.${name}.writes_per_s`, value: writes.perSecond, unit: 'ops/s', note: `one writer, ${KEYS} keys; ${note}` },
      { name: `persist.${name}.reads_per_s`, value: reads.perSecond, unit: 'ops/s', note: `one reader, ${KEYS} keys` },
      { name: `persist.${name}.parallel_writes_per_s`, value: parallel.perSecond, unit: 'ops/s', note: `16 concurrent writers, ${KEYS} keys` },
    );
    await store.close();
  }

  await measureKeyValue('in-memory', new MemoryAdapter(STATE), 'validated with zod, cloned');
  results.push(...(await measureStorageWrites(ctx, 'in-memory', async () => new MemoryAdapter<StorageKey, SignalRow>(STORAGE))));
  await measureKeyValue('local-file', await FileAdapter.open(STATE, { dir: join(ctx.workDir, 'state'), format: 'json' }), 'temp file + fsync + rename + dir fsync per write');

  const manager = new ConnectionManager({ uri: ctx.databaseUri('persist') });
  await manager.connect();
  try {
    const mongo = new MongoAdapter<StateKey, JsonValue>(() => manager.connection, STATE);
    await mongo.read(stateKey(0));
    await measureKeyValue('mongodb', mongo, `atomic findOneAndUpdate upsert on ${ctx.mongoServer}`);
    await manager.connection.dropDatabase();
    results.push(
      ...(await measureStorageWrites(ctx, 'mongodb', async () => {
        await manager.connection.dropDatabase();
        return new MongoAdapter<StorageKey, SignalRow>(() => manager.connection, STORAGE);
      })),
    );
    await manager.connection.dropDatabase();
  } finally {
    await manager.close();
  }

  const dumps = new TypedStore(DUMP, await FileAdapter.open<DumpKey, string>(DUMP, { dir: join(ctx.workDir, 'dump'), format: 'markdown' }));
  const md = '# Run summary\n\n| trades | win rate | pnl |\n|---:|---:|---:|\n| 42 | 57% | 12.3% |\n';
  const dumpWrites = await throughput((i) => dumps.write({ dumpId: `dump-${i % KEYS}` }, md), budget);
  const dumpReads = await throughput((i) => dumps.read({ dumpId: `dump-${i % KEYS}` }), budget);
  results.push(
    { name: 'persist.markdown.writes_per_s', value: dumpWrites.perSecond, unit: 'ops/s', note: 'one .md per dump, atomic' },
    { name: 'persist.markdown.reads_per_s', value: dumpReads.perSecond, unit: 'ops/s' },
  );

  const log = await JsonlAdapter.open<LogKey, LogLine>(LOG, { file: join(ctx.workDir, 'log', 'bench.jsonl'), maxBytes: 5 * 1024 * 1024, maxFiles: 2 });
  const line = (i: number): LogLine => ({ entryId: `e${i}`, level: 'info', at: Date.now(), message: `tick ${i}`, data: { symbol: 'BTCUSDT', price: 100 + i } });
  const appends = await throughput((i) => log.write({ entryId: `e${i}` }, line(i)), budget);
  const tails = await throughput(() => log.tail(100), budget);
  results.push(
    { name: 'persist.jsonl.writes_per_s', value: appends.perSecond, unit: 'ops/s', note: 'append one line, rotation at 5 MiB' },
    { name: 'persist.jsonl.tail100_per_s', value: tails.perSecond, unit: 'ops/s', note: 'read the last 100 lines' },
  );
  await log.close();

  const spool = await WriteSpool.open(join(ctx.workDir, 'spool', 'writes.jsonl'));
  const spoolOne = await throughput((i) => spool.append({ subsystem: 'state', op: 'write', keyId: String(i % KEYS), key: stateKey(i), value: stateValue(i) }), budget);
  const spoolMany = await throughput((i) => spool.append({ subsystem: 'state', op: 'write', keyId: String(i % KEYS), key: stateKey(i), value: stateValue(i) }), budget, 16);
  results.push(
    { name: 'persist.spool.writes_per_s', value: spoolOne.perSecond, unit: 'ops/s', note: 'outage spool, one writer: append + fdatasync each' },
    { name: 'persist.spool.parallel_writes_per_s', value: spoolMany.perSecond, unit: 'ops/s', note: '16 writers sharing each fdatasync (group commit)' },
  );
  await spool.close();
  return results;
};

export default persist;
