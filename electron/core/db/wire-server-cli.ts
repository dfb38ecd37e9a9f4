import { readFileSync } from 'node:fs';
import { provisionWireServer, startWireServer, WIRE_SERVER_NAME, type WireServerCredentials } from './wire-server';

const USAGE = 'npm run db:server -- --port <p> [--data <dir>] [--host <h>] [--user <name> --password-file <file>]';

/**
 * `npm run db:server -- --port <p> [--data <dir>]`: runs the wire-protocol server in the foreground.
 * `--user <name> --password-file <file>` requires SCRAM-SHA-256 with that user and the file's first
 * line as password (a file, so the password never sits on a command line).
 * `npm run db:server -- --provision`: only fetches and compiles it.
 */
function parseArgs(argv: string[]): { port: number; dataDir?: string; host: string; credentials?: WireServerCredentials } {
  let port = 27017;
  let dataDir: string | undefined;
  let host = '127.0.0.1';
  let username: string | undefined;
  let passwordFile: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = argv[i + 1];
    if (arg === '--port' && value !== undefined) {
      port = Number(value);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port: "${value}" is not a port number`);
      i++;
    } else if (arg === '--data' && value !== undefined) {
      dataDir = value;
      i++;
    } else if (arg === '--host' && value !== undefined) {
      host = value;
      i++;
    } else if (arg === '--user' && value !== undefined) {
      username = value;
      i++;
    } else if (arg === '--password-file' && value !== undefined) {
      passwordFile = value;
      i++;
    } else {
      throw new Error(`unknown argument "${arg}" (usage: ${USAGE})`);
    }
  }
  if ((username === undefined) !== (passwordFile === undefined)) throw new Error('--user and --password-file go together');
  if (username === undefined || passwordFile === undefined) return { port, dataDir, host };
  let text: string;
  try {
    text = readFileSync(passwordFile, 'utf8');
  } catch (error) {
    throw new Error(`--password-file: cannot read ${passwordFile} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  return { port, dataDir, host, credentials: { username, password: text.split(/\r?\n/)[0] ?? '' } };
}

async function main(): Promise<void> {
  if (process.argv.includes('--provision')) {
    // CI and first-time setup: fetch and compile once, so the first test run does not pay for it.
    provisionWireServer();
    console.log(`${WIRE_SERVER_NAME} is provisioned in .cache/mongo-server`);
    return;
  }
  const args = parseArgs(process.argv.slice(2));
  // An address given on the command line is the user's explicit choice; say what it exposes.
  if (args.host !== '127.0.0.1') {
    console.warn(args.credentials
      ? `warning: ${WIRE_SERVER_NAME} does not encrypt its traffic; anyone on the path to ${args.host}:${args.port} can read the data`
      : `warning: ${WIRE_SERVER_NAME} has no authentication; anyone who reaches ${args.host}:${args.port} can read and write everything`);
  }
  const server = await startWireServer({ ...args, allowNonLoopback: true });
  // The address without the password; the user has it in their file.
  const login = args.credentials ? ` (log in as ${args.credentials.username} with ?authSource=admin)` : '';
  console.log(`${server.uri} (${server.description})${login}`);
  let stopping = false;
  const stop = (): void => {
    stopping = true;
    void server.stop().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  server.process.on('exit', (code) => {
    if (!stopping) process.exit(code ?? 1);
  });
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
