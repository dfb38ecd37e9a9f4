import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { startWireServer } from '../electron/core/db/wire-server';
import { BenchFailure, databaseUriFor, type Benchmark, type BenchResult } from './harness';

/**
 * `npm run bench [-- <filter>]`: runs every bench/*.bench.ts against one database server, side by
 * side in one process run, then writes bench/results.json and prints a table.
 */
async function main(): Promise<void> {
  const filter = process.argv[2];
  const benchDir = join(process.cwd(), 'bench');
  const files = readdirSync(benchDir)
    .filter((f) => f.endsWith('.bench.ts'))
    .filter((f) => !filter || f.includes(filter))
    .sort();
  const external = process.env.CC_MONGO_CONNECTION_STRING?.trim();
  const server = external ? undefined : await startWireServer({ port: 0, watchStdin: true });
  const mongoUri = external ?? server!.uri;
  const mongoServer = external ? 'external MongoDB (CC_MONGO_CONNECTION_STRING)' : `${server!.description}`;
  console.log(`Benchmarks against ${mongoServer}`);
  const workRoot = join(benchDir, '.work');
  const results: BenchResult[] = [];
  let failures = 0;
  try {
    for (const file of files) {
      const workDir = join(workRoot, file.replace(/\.bench\.ts$/, ''));
      rmSync(workDir, { recursive: true, force: true });
      mkdirSync(workDir, { recursive: true });
      console.log(`\n▶ ${file}`);
      try {
        const mod = (await import(pathToFileURL(join(benchDir, file)).href)) as { default: Benchmark };
        const out = await mod.default({
          mongoUri,
          mongoServer,
          databaseUri: (name) => databaseUriFor(mongoUri, name),
          workDir,
          log: (message) => console.log(`  ${message}`),
        });
        for (const r of out) console.log(`  ${r.name} = ${r.value} ${r.unit}`);
        results.push(...out);
      } catch (error) {
        failures++;
        console.error(`  ${file} failed: ${error instanceof Error ? error.stack : String(error)}`);
        if (error instanceof BenchFailure) {
          for (const r of error.results) console.log(`  ${r.name} = ${r.value} ${r.unit} (measured before the failure)`);
          results.push(...error.results);
        }
      } finally {
        rmSync(workDir, { recursive: true, force: true });
      }
    }
  } finally {
    await server?.stop();
  }
  // A filtered run (`npm run bench -- persist`) updates its own results and keeps the others.
  const resultsPath = join(benchDir, 'results.json');
  const fresh = new Set(results.map((r) => r.name));
  const kept = filter && existsSync(resultsPath) ? (JSON.parse(readFileSync(resultsPath, 'utf8')) as BenchResult[]).filter((r) => !fresh.has(r.name)) : [];
  writeFileSync(resultsPath, `${JSON.stringify([...kept, ...results], null, 2)}\n`);
  console.log('\n| name | value | unit | note |\n|---|---:|---|---|');
  for (const r of results) console.log(`| ${r.name} | ${r.value} | ${r.unit} | ${r.note ?? ''} |`);
  console.log(`\nWrote bench/results.json (${results.length} results${failures ? `, ${failures} benchmark files failed` : ''}).`);
  process.exit(failures ? 1 : 0);
}

void main();
