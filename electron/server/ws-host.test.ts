import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { TransportState } from '../../shared/contract/backend';
import type { EventEnvelope } from '../../shared/contract/events';
import { WsBackend, type WebSocketLike } from '../../shared/contract/ws-client';
import { CLOSE_CODES, type ServerMessage } from '../../shared/contract/ws-protocol';
import { createAppCore, type AppCore } from '../core/app/app-core';
import { startHost, type RunningHost } from './ws-host';

const createSocket = (url: string, init?: { headers: Record<string, string> }): WebSocketLike => new WebSocket(url, init) as unknown as WebSocketLike;
const bearer = (host: { token: string }): { headers: Record<string, string> } => ({ headers: { authorization: `Bearer ${host.token}` } });

function rawClient(url: string, init: { headers: Record<string, string> }): Promise<{ ws: WebSocket; messages: ServerMessage[]; next(pred: (m: ServerMessage) => boolean): Promise<ServerMessage> }> {
  const ws = new WebSocket(url, init);
  const messages: ServerMessage[] = [];
  const waiters: Array<{ pred: (m: ServerMessage) => boolean; resolve: (m: ServerMessage) => void }> = [];
  ws.on('message', (data) => {
    const message = JSON.parse(data.toString()) as ServerMessage;
    messages.push(message);
    for (const w of [...waiters]) {
      if (!w.pred(message)) continue;
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve(message);
    }
  });
  const next = (pred: (m: ServerMessage) => boolean): Promise<ServerMessage> => {
    const seen = messages.find(pred);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve) => waiters.push({ pred, resolve }));
  };
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve({ ws, messages, next }));
    ws.once('error', reject);
  });
}

const closed = (ws: WebSocket): Promise<{ code: number; reason: string }> =>
  new Promise((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));

const until = async (check: () => boolean, timeoutMs = 10_000): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe('headless WebSocket host', () => {
  let dataDir: string;
  let core: AppCore;
  let host: RunningHost;
  const wsUrl = (query = ''): string => `${host.url.replace('http', 'ws')}ws${query}`;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'bm-host-'));
    core = await createAppCore({ config: { dataDir, envConnectionString: undefined, probeLocalhost: false, embedded: false }, echoLog: false });
    host = await startHost(core, { maxMessageBytes: 64 * 1024, replayCapacity: 1000, batchIntervalMs: 10 });
  });
  afterAll(async () => {
    await host?.close();
    await core?.shutdown();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('answers invokes through the WebSocket Backend, with field-named validation errors', async () => {
    const backend = new WsBackend({ url: host.url, token: host.token, createSocket });
    try {
      const settings = await backend.invoke('settings.get');
      expect(settings).toMatchObject({ ok: true, data: { theme: 'dark' } });
      const bad = await backend.invoke('settings.set', { theme: 'pink' as 'dark' });
      expect(bad.ok).toBe(false);
      if (!bad.ok) expect(bad.error.issues?.[0]?.path).toBe('theme');
    } finally {
      backend.close();
    }
  });

  it('survives invalid JSON and an unknown channel on the same connection', async () => {
    const client = await rawClient(wsUrl(), bearer(host));
    client.ws.send('{"type": "invoke", "id": 1,');
    const error = await client.next((m) => m.type === 'error');
    expect(error).toMatchObject({ type: 'error', code: 'invalid_payload' });
    expect((error as { message: string }).message).toMatch(/invalid JSON/);
    client.ws.send(JSON.stringify({ type: 'invoke', id: 2, channel: 'runs.destroyAll', payload: {} }));
    const unknown = await client.next((m) => m.type === 'result' && m.id === 2);
    expect(unknown).toMatchObject({ result: { ok: false, error: { code: 'unknown_channel' } } });
    client.ws.send(JSON.stringify({ type: 'invoke', id: 3, channel: 'settings.get' }));
    expect(await client.next((m) => m.type === 'result' && m.id === 3)).toMatchObject({ result: { ok: true } });
    client.ws.close();
  });

  it('closes only the connection that sends an oversized message', async () => {
    const client = await rawClient(wsUrl(), bearer(host));
    const done = closed(client.ws);
    client.ws.send(JSON.stringify({ type: 'invoke', id: 1, channel: 'settings.get', payload: { pad: 'x'.repeat(100 * 1024) } }));
    expect((await done).code).toBe(CLOSE_CODES.tooBig);
    const other = await rawClient(wsUrl(), bearer(host));
    other.ws.send(JSON.stringify({ type: 'invoke', id: 1, channel: 'database.status' }));
    expect(await other.next((m) => m.type === 'result')).toMatchObject({ result: { ok: true, data: { source: 'none' } } });
    other.ws.close();
  });

  it('reports status and database on /health', async () => {
    const res = await fetch(new URL('/health', host.url), bearer(host));
    expect(res.status).toBe(200);
    const body = (await res.json()) as { status: string; database: { source: string; hint?: string } };
    expect(body.status).toBe('ok');
    expect(body.database.source).toBe('none');
    expect(body.database.hint).toMatch(/docker compose -f docker\/mongodb\/docker-compose.yaml up -d/);
  });

  it('resumes a reconnecting client from its last sequence number without loss or repeats', async () => {
    const made: WebSocket[] = [];
    const tracked = (url: string, init?: { headers: Record<string, string> }): WebSocketLike => {
      const ws = new WebSocket(url, init);
      made.push(ws);
      return ws as unknown as WebSocketLike;
    };
    const backend = new WsBackend({ url: host.url, token: host.token, createSocket: tracked, maxBackoffMs: 100 });
    const seen: EventEnvelope[] = [];
    const counts = (): number[] => seen.flatMap((e) => (e.event === 'notifications.unread' ? [e.payload.count] : []));
    const states: TransportState[] = [];
    backend.onBatch((events: EventEnvelope[]) => seen.push(...events));
    backend.onTransportState((s) => states.push(s));
    try {
      await until(() => states.some((s) => s.kind === 'connected'));
      for (let i = 0; i < 50; i++) core.bus.emit('notifications.unread', { count: i });
      await until(() => counts().length >= 50);
      // Drop the connection abruptly (as a network failure would), then emit while the client is away.
      made.at(-1)!.terminate();
      for (let i = 50; i < 120; i++) core.bus.emit('notifications.unread', { count: i });
      await until(() => counts().length >= 120);
      await new Promise((r) => setTimeout(r, 100));
      expect(counts()).toEqual(Array.from({ length: 120 }, (_, i) => i));
      // Other core events (status, log lines) may interleave; the sequence itself has no gap and no repeat.
      const seqs = seen.map((e) => e.seq);
      expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => seqs[0]! + i));
      expect(states.filter((s) => s.kind === 'reconnecting').length).toBeGreaterThan(0);
      expect(states.at(-1)).toEqual({ kind: 'connected', lostEvents: false });
    } finally {
      backend.close();
    }
  });

  it('drops a client that does not read, with a reason, and keeps serving others', async () => {
    const slowHost = await startHost(core, { maxBufferedBytes: 64 * 1024, batchIntervalMs: 5 });
    try {
      const slow = await rawClient(`${slowHost.url.replace('http', 'ws')}ws`, bearer(slowHost));
      const done = closed(slow.ws);
      // Stop reading: the kernel buffers fill, then ws's own buffer grows past the limit.
      (slow.ws as unknown as { _socket: { pause(): void } })._socket.pause();
      const payload = { notificationId: 'n', type: 'error.info' as const, backtest: true, title: 't', message: 'x'.repeat(2000), createdAt: 0, read: false };
      const deadline = Date.now() + 20_000;
      while (slowHost.clients() > 0 && Date.now() < deadline) {
        for (let i = 0; i < 500; i++) core.bus.emit('notification', payload);
        await new Promise((r) => setTimeout(r, 5));
      }
      expect(slowHost.clients()).toBe(0);
      (slow.ws as unknown as { _socket: { resume(): void } })._socket.resume();
      const { code, reason } = await done;
      expect(code).toBe(CLOSE_CODES.slowClient);
      expect(reason).toMatch(/slow client/);
      const fresh = await rawClient(`${slowHost.url.replace('http', 'ws')}ws`, bearer(slowHost));
      expect(await fresh.next((m) => m.type === 'welcome')).toMatchObject({ type: 'welcome' });
      fresh.ws.close();
    } finally {
      await slowHost.close();
    }
  });
});

describe('headless host request limits', () => {
  it('refuses invokes beyond the in-flight limit instead of queuing them, and answers the rest', async () => {
    const { AppEventBus } = await import('../core/app/event-bus');
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    const core = {
      bus: new AppEventBus(),
      dispatch: async () => {
        await gate;
        return { ok: true as const, data: {} };
      },
      databaseStatus: () => ({ source: 'none' as const, status: 'disconnected' as const, label: 'none', spool: { buffering: 0 }, since: 0 }),
    };
    const host = await startHost(core, { maxInFlight: 4 });
    try {
      const client = await rawClient(`${host.url.replace('http', 'ws')}ws`, bearer(host));
      for (let id = 1; id <= 6; id++) client.ws.send(JSON.stringify({ type: 'invoke', id, channel: 'settings.get' }));
      expect(await client.next((m) => m.type === 'result' && m.id === 5)).toMatchObject({ result: { ok: false, error: { code: 'unavailable' } } });
      release();
      expect(await client.next((m) => m.type === 'result' && m.id === 4)).toMatchObject({ result: { ok: true } });
      client.ws.close();
    } finally {
      await host.close();
    }
  });
});

describe('headless host beyond loopback', () => {
  let dataDir: string;
  let core: AppCore;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'bm-host-token-'));
    core = await createAppCore({ config: { dataDir, envConnectionString: undefined, probeLocalhost: false, embedded: false }, echoLog: false });
  });
  afterAll(async () => {
    await core?.shutdown();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('refuses to bind beyond loopback without a token', async () => {
    await expect(startHost(core, { host: '0.0.0.0' })).rejects.toThrow(/token/);
  });

  it('rejects a missing or wrong token and accepts the right one', async () => {
    const host = await startHost(core, { host: '0.0.0.0', token: 's3cret-token' });
    try {
      const base = `ws://127.0.0.1:${host.port}/ws`;
      for (const headers of [{}, { authorization: 'Bearer wrong-token!' }, { authorization: 's3cret-token' }]) {
        const ws = new WebSocket(base, { headers });
        ws.on('error', () => undefined); // ws reports the refused handshake as an error too
        const status = await new Promise<number>((resolve) => ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0)));
        expect(status).toBe(401);
      }
      // The token travels in a header: one in the query string is not a credential.
      const inQuery = new WebSocket(`${base}?token=s3cret-token`);
      inQuery.on('error', () => undefined);
      expect(await new Promise<number>((resolve) => inQuery.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0)))).toBe(401);
      const ok = await rawClient(base, { headers: { authorization: 'Bearer s3cret-token' } });
      expect(await ok.next((m) => m.type === 'welcome')).toMatchObject({ type: 'welcome' });
      ok.ws.close();
    } finally {
      await host.close();
    }
  });
});
