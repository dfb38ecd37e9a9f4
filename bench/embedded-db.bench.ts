import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import mongoose from 'mongoose';
import { provisionWireServer } from '../electron/core/db/wire-server';
import type { Benchmark, BenchResult } from './harness';

const SECONDS = 5;

/** mongo-java-server on an H2 file, as the app's embedded database runs it (plus `extra` launcher flags). */
async function startH2(dataDir: string, extra: string[]): Promise<{ uri: string; stop(): void }> {
  const { classpath } = provisionWireServer();
  const child = spawn('java', ['-Xss4m', '-cp', classpath, 'MongoServerLauncher', '--port', '0', '--data', dataDir, ...extra], { stdio: ['pipe', 'pipe', 'inherit'] });
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout }).on('line', (l) => l.startsWith('READY ') && resolve(l));
    child.once('exit', (code) => reject(new Error(`mongo-java-server exited with ${code}`)));
  });
  return { uri: line.split(' ')[1]!, stop: () => child.kill('SIGKILL') };
}

/** Acknowledged single-document inserts per second from `writers` concurrent clients. */
async function insertsPerSecond(uri: string, writers: number): Promise<number> {
  const conn = await mongoose.createConnection(`${uri}bench`, { maxPoolSize: writers }).asPromise();
  const docs = conn.collection('acked');
  let n = 0;
  const end = performance.now() + SECONDS * 1000;
  await Promise.all(Array.from({ length: writers }, async (_, w) => {
    while (performance.now() < end) {
      await docs.insertOne({ w, n: n++, pad: 'x'.repeat(200) });
    }
  }));
  await conn.close();
  return n / SECONDS;
}

/**
 * What durability costs the embedded database: acknowledged inserts/s with every request committed
 * and fsynced before its answer (the default, group commit across concurrent requests), and with
 * the commit but no fsync (`--no-fsync`: survives a killed server, not a power cut).
 */
const bench: Benchmark = async (ctx) => {
  const results: BenchResult[] = [];
  for (const [label, extra] of [['durable', []], ['no_fsync', ['--no-fsync']]] as const) {
    const dir = mkdtempSync(join(ctx.workDir, `h2-${label}-`));
    const server = await startH2(dir, [...extra]);
    try {
      const one = await insertsPerSecond(server.uri, 1);
      const eight = await insertsPerSecond(server.uri, 8);
      ctx.log(`${label}: ${Math.round(one)}/s with 1 writer, ${Math.round(eight)}/s with 8`);
      results.push(
        { name: `db.embedded.${label}.inserts_per_s`, value: Math.round(one), unit: 'inserts/s', note: `acknowledged insertOne, one client, H2 file${label === 'durable' ? ', commit + fsync per request (the default)' : ', commit per request without fsync'}` },
        { name: `db.embedded.${label}.parallel_inserts_per_s`, value: Math.round(eight), unit: 'inserts/s', note: '8 concurrent clients (durable: they share fsyncs)' },
      );
    } finally {
      server.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return results;
};

export default bench;
