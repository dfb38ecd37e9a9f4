import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConnection as tcpConnect } from 'node:net';
import { createInterface } from 'node:readline';
import mongoose, { type Connection } from 'mongoose';
import { startWireServer, type RunningWireServer } from './wire-server';

const USER = 'tester';

/** A client on its own connection pool; the caller closes it. */
function connect(uri: string): Promise<Connection> {
  return mongoose.createConnection(uri, { serverSelectionTimeoutMS: 10_000 }).asPromise();
}

/**
 * Sends one legacy OP_QUERY (what old clients, and an attacker with a socket, may still send) and
 * returns the first document of the reply, or 'closed' when the server hangs up instead.
 */
function legacyQuery(port: number, namespace: string, query: Record<string, unknown>): Promise<Record<string, unknown> | 'closed'> {
  const { BSON } = mongoose.mongo;
  const body = Buffer.concat([
    Buffer.alloc(4), // flags
    Buffer.from(`${namespace}\0`),
    Buffer.from([0, 0, 0, 0, 1, 0, 0, 0]), // skip 0, return 1
    Buffer.from(BSON.serialize(query)),
  ]);
  const header = Buffer.alloc(16);
  header.writeInt32LE(16 + body.length, 0);
  header.writeInt32LE(1, 4);
  header.writeInt32LE(0, 8);
  header.writeInt32LE(2004, 12); // OP_QUERY
  return new Promise((resolve, reject) => {
    const socket = tcpConnect({ host: '127.0.0.1', port }, () => socket.write(Buffer.concat([header, body])));
    let received = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      if (received.length >= 4 && received.length >= received.readInt32LE(0)) {
        socket.destroy();
        // OP_REPLY: 16-byte header, flags, cursor id (8), starting from, count, then the documents.
        resolve(BSON.deserialize(received.subarray(36)) as Record<string, unknown>);
      }
    });
    socket.on('close', () => resolve('closed'));
    socket.on('error', reject);
  });
}

/** The error a promise rejects with (fails the test when it resolves). */
async function failure(promise: Promise<unknown>): Promise<{ code?: unknown; codeName?: unknown; message: string }> {
  try {
    await promise;
  } catch (error) {
    return error as { code?: unknown; codeName?: unknown; message: string };
  }
  throw new Error('expected a refusal, but the request succeeded');
}

describe('embedded server with SCRAM-SHA-256 authentication', () => {
  const password = randomBytes(24).toString('base64url');
  let server: RunningWireServer;
  const open: Connection[] = [];
  beforeAll(async () => {
    server = await startWireServer({ port: 0, watchStdin: true, credentials: { username: USER, password } });
  }, 60_000);
  afterAll(async () => {
    for (const c of open) await c.close();
    await server?.stop();
  });

  it('refuses find and insert from a client that did not log in, with MongoDB\'s error 13', async () => {
    expect(server.authenticated).toBe(true);
    const anonymous = await connect(`${server.uri}authtest`);
    open.push(anonymous);
    // The handshake and ping stay open, as in MongoDB, so drivers can discover the server.
    await anonymous.db!.admin().ping();
    const find = await failure(anonymous.db!.collection('things').find({}).toArray());
    expect(find).toMatchObject({ code: 13, codeName: 'Unauthorized' });
    const insert = await failure(anonymous.db!.collection('things').insertOne({ name: 'sneaked in' }));
    expect(insert).toMatchObject({ code: 13, codeName: 'Unauthorized' });
    const list = await failure(anonymous.db!.admin().listDatabases());
    expect(list).toMatchObject({ code: 13 });
  });

  it('fails authentication with a wrong password', async () => {
    const wrong = server.connectionString('authtest').replace(encodeURIComponent(password), 'not-the-password');
    expect(wrong).not.toContain(password);
    const error = await failure(connect(wrong));
    expect(error).toMatchObject({ code: 18, codeName: 'AuthenticationFailed' });
  });

  it('reads and writes with the right password; another connection is not logged in by it', async () => {
    const owner = await connect(server.connectionString('authtest'));
    open.push(owner);
    await owner.db!.collection('things').insertOne({ name: 'kept' });
    expect(await owner.db!.collection('things').countDocuments({ name: 'kept' })).toBe(1);

    // The owner's pooled connection stays open and logged in meanwhile: the stranger's own
    // connection to the same server must still be refused.
    const stranger = await connect(`${server.uri}authtest`);
    open.push(stranger);
    expect(await failure(stranger.db!.collection('things').find({}).toArray())).toMatchObject({ code: 13 });
    expect(await owner.db!.collection('things').countDocuments({})).toBe(1);
  });

  it('also accepts the driver\'s default mechanism negotiation (no authMechanism in the string)', async () => {
    const uri = server.connectionString('authtest').replace('&authMechanism=SCRAM-SHA-256', '');
    expect(uri).not.toContain('authMechanism');
    const client = await connect(uri);
    open.push(client);
    expect(await client.db!.collection('things').countDocuments({ name: 'kept' })).toBe(1);
  });

  it('refuses the legacy OP_QUERY way in too: commands get error 13, reads and serverStatus a closed connection', async () => {
    expect(await legacyQuery(server.port, 'authtest.$cmd', { find: 'things' })).toMatchObject({ ok: 0, code: 13 });
    expect(await legacyQuery(server.port, 'authtest.$cmd', { insert: 'things', documents: [{ sneaked: true }] })).toMatchObject({ ok: 0, code: 13 });
    expect(await legacyQuery(server.port, 'authtest.things', {})).toBe('closed');
    expect(await legacyQuery(server.port, 'admin.$cmd', { serverStatus: 1 })).toBe('closed');
    // The handshake still answers, so the server can be discovered.
    expect(await legacyQuery(server.port, 'admin.$cmd', { isMaster: 1 })).toMatchObject({ ismaster: true });
    const owner = await connect(server.connectionString('authtest'));
    open.push(owner);
    expect(await owner.db!.collection('things').countDocuments({ sneaked: true })).toBe(0);
  });

  it('gets the password without it appearing in its command line or environment', () => {
    const pid = server.process.pid!;
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    expect(cmdline).toContain('--auth-stdin');
    expect(cmdline).not.toContain(password);
    expect(readFileSync(`/proc/${pid}/environ`, 'utf8')).not.toContain(password);
    expect(server.uri).not.toContain(password);
    expect(server.description).not.toContain(password);
  });

  it('still binds loopback only unless asked: it does not encrypt', async () => {
    await expect(startWireServer({ host: '0.0.0.0', port: 0, credentials: { username: USER, password } })).rejects.toThrow(/does not encrypt/);
  });

  it('refuses a password outside its rules without echoing it', async () => {
    const bad = 'short\u00e9';
    const error = await failure(startWireServer({ port: 0, credentials: { username: USER, password: bad } }));
    expect(error.message).toMatch(/8-256 printable ASCII/);
    expect(error.message).not.toContain(bad);
  });
});

describe('npm run db:server with --user and --password-file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bm-wire-auth-'));
  const password = randomBytes(24).toString('base64url');
  let child: ChildProcess | undefined;
  afterAll(async () => {
    if (child && child.exitCode === null) {
      await new Promise((resolve) => {
        child!.once('exit', resolve);
        child!.kill('SIGTERM');
      });
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('requires the password from the file and prints the address without it', async () => {
    const file = join(dir, 'password');
    writeFileSync(file, `${password}\n`, { mode: 0o600 });
    child = spawn(process.execPath, ['node_modules/tsx/dist/cli.mjs', 'electron/core/db/wire-server-cli.ts', '--port', '0', '--user', USER, '--password-file', file], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const line = await new Promise<string>((resolve, reject) => {
      createInterface({ input: child!.stdout! }).once('line', resolve);
      child!.once('exit', (code) => reject(new Error(`db:server exited with ${code}`)));
    });
    expect(line).toContain('SCRAM-SHA-256');
    expect(line).not.toContain(password);
    const uri = line.split(' ')[0]!;
    const anonymous = await connect(`${uri}cli`);
    try {
      expect(await failure(anonymous.db!.collection('x').find({}).toArray())).toMatchObject({ code: 13 });
    } finally {
      await anonymous.close();
    }
    const url = new URL(`${uri}cli?authSource=admin`);
    url.username = USER;
    url.password = password;
    const owner = await connect(url.toString());
    try {
      await owner.db!.collection('x').insertOne({ ok: true });
      expect(await owner.db!.collection('x').countDocuments({})).toBe(1);
    } finally {
      await owner.close();
    }
  }, 90_000);
});
