import { provisionWireServer, startWireServer, WIRE_SERVER_NAME } from './wire-server';

/**
 * `npm run db:server -- --port <p> [--data <dir>]`: runs the wire-protocol server in the foreground.
 * `npm run db:server -- --provision`: only fetches and compiles it.
 */
function parseArgs(argv: string[]): { port: number; dataDir?: string; host: string } {
  let port = 27017;
  let dataDir: string | undefined;
  let host = '127.0.0.1';
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
    } else {
      throw new Error(`unknown argument "${arg}" (usage: npm run db:server -- --port <p> [--data <dir>])`);
    }
  }
  return { port, dataDir, host };
}

async function main(): Promise<void> {
  if (process.argv.includes('--provision')) {
    // CI and first-time setup: fetch and compile once, so the first test run does not pay for it.
    provisionWireServer();
    console.log(`${WIRE_SERVER_NAME} is provisioned in .cache/mongo-server`);
    return;
  }
  const args = parseArgs(process.argv.slice(2));
  // An address given on the command line is the user's explicit choice; the server still has no authentication.
  if (args.host !== '127.0.0.1') console.warn(`warning: ${WIRE_SERVER_NAME} has no authentication; anyone who reaches ${args.host}:${args.port} can read and write everything`);
  const server = await startWireServer({ ...args, allowNonLoopback: true });
  console.log(`${server.uri} (${server.description})`);
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
