import { parseArgs } from 'node:util';
import { ConnectionManager } from '../db/connection-manager';
import { migrateDatabase, type MigrationReport } from '../persist/migration';

const USAGE = `Usage: npm run db -- migrate --dry-run|--apply [--json]

  migrate --dry-run   counts, per collection, the documents still in the previous layout
                      (value under "data") and checks each can be mapped; writes nothing
  migrate --apply     rewrites them in place in @backtest-kit/mongo's layout (value under
                      "payload", createDate/updatedDate Dates, the monitor's fields under
                      "monitor", the old fields kept under monitor.legacy). Resumable and
                      idempotent: run it again after an interruption; nothing is deleted.

Options:
  --json   the report as JSON on stdout (progress stays on stderr)
The database is CC_MONGO_CONNECTION_STRING (default mongodb://localhost:27017/backtest-kit).
Exit code 0 only when every document could be migrated (or, dry, mapped).
`;

const OPTIONS = {
  'dry-run': { type: 'boolean' },
  apply: { type: 'boolean' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

function describe(report: MigrationReport): string {
  const lines = report.collections.map((c) => {
    const action = report.dryRun ? `${c.found} to migrate` : `${c.migrated} of ${c.found} migrated`;
    const failed = c.failed > 0 ? `, ${c.failed} cannot be mapped (left as they are): ${c.failures.join('; ')}` : '';
    return `${c.collection.padEnd(20)} ${action}${failed}`;
  });
  const total = report.collections.reduce((sum, c) => sum + (report.dryRun ? c.found : c.migrated), 0);
  lines.push(report.dryRun ? `${total} documents would be migrated; run with --apply to migrate them` : `${total} documents migrated`);
  return lines.join('\n');
}

export async function runDbCli(argv: string[]): Promise<number> {
  let parsed: ReturnType<typeof parseArgs<{ args: string[]; options: typeof OPTIONS; allowPositionals: true }>>;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true });
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (positionals[0] !== 'migrate' || positionals.length !== 1 || values['dry-run'] === values.apply) {
    process.stderr.write(`${positionals[0] && positionals[0] !== 'migrate' ? `unknown command "${positionals[0]}"\n\n` : ''}${USAGE}`);
    return 2;
  }
  const dryRun = values['dry-run'] === true;
  const json = values.json === true;
  const manager = new ConnectionManager({ connectTimeoutMs: 10_000 });
  try {
    await manager.connect();
    const report = await migrateDatabase(manager.connection, { dryRun, progress: (line) => process.stderr.write(`${line}\n`) });
    process.stdout.write(json ? `${JSON.stringify(report, null, 2)}\n` : `${describe(report)}\n`);
    return report.collections.some((c) => c.failed > 0) ? 1 : 0;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (json) process.stdout.write(`${JSON.stringify({ ok: false, error: message }, null, 2)}\n`);
    process.stderr.write(`db migrate: ${message}\n`);
    return 1;
  } finally {
    await manager.close();
  }
}

void runDbCli(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
