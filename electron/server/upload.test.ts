import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { WsBackend, type WebSocketLike } from '../../shared/contract/ws-client';
import { freshDatabaseUri } from '../../test/support/test-db';
import { createAppCore, type AppCore } from '../core/app/app-core';
import { buildCoreParts } from '../core/app/core-parts';
import { startHost, type RunningHost } from './ws-host';

const CSV = resolve(process.cwd(), '..', 'shared', 'data', 'candles', 'ETHBTC-1m-2018-01.binance.csv');
const createSocket = (url: string, init?: { headers: Record<string, string> }): WebSocketLike => new WebSocket(url, init) as unknown as WebSocketLike;

/** A file goes over the authenticated HTTP upload into the core's store, then `candles.import` names it. */
describe('headless host upload → import, on the real core and test database', () => {
  let dataDir: string;
  let core: AppCore;
  let host: RunningHost;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'bm-host-upload-'));
    core = await createAppCore({
      config: { dataDir, envConnectionString: freshDatabaseUri('host_upload'), probeLocalhost: false, embedded: false },
      parts: buildCoreParts,
      echoLog: false,
    });
    await core.databaseReady;
    host = await startHost(core, { maxUploadBytes: 2 * 1024 * 1024 });
  });
  afterAll(async () => {
    await host?.close();
    if (core?.database.connection?.isConnected) await core.database.connection.connection.dropDatabase().catch(() => undefined);
    await core?.shutdown();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('imports a file larger than one WebSocket message through Backend.upload', async () => {
    const text = readFileSync(CSV, 'utf8');
    expect(text.length).toBeGreaterThan(1024 * 1024);
    const backend = new WsBackend({ url: host.url, token: host.token, createSocket });
    try {
      const uploaded = await backend.upload(new Blob([text]), 'ETHBTC-1m-2018-01.binance.csv');
      expect(uploaded.ok, JSON.stringify(uploaded)).toBe(true);
      if (!uploaded.ok) return;
      const report = await backend.invoke('candles.import', {
        source: { kind: 'upload', uploadId: uploaded.data.uploadId, fileName: 'ETHBTC-1m-2018-01.binance.csv' },
        exchangeName: 'binance',
        symbol: 'ETH/BTC',
      });
      expect(report).toMatchObject({ ok: true, data: { ok: true, inserted: 14397, interval: '1m' } });
    } finally {
      backend.close();
    }
  });

  it('refuses an upload without the token, and one over the cap, keeping nothing on disk', async () => {
    const anonymous = new WsBackend({ url: host.url, createSocket, connectWaitMs: 10 });
    const big = new Blob([Buffer.alloc(2 * 1024 * 1024 + 1, 'a')]);
    const withToken = new WsBackend({ url: host.url, token: host.token, createSocket });
    try {
      expect(await anonymous.upload(new Blob(['timestamp,open\n']), 'a.csv')).toMatchObject({ ok: false, error: { code: 'forbidden' } });
      expect(await withToken.upload(big, 'big.csv')).toMatchObject({ ok: false, error: { code: 'invalid_payload' } });
      const stream = new ReadableStream({
        start(controller) {
          for (let i = 0; i < 3; i++) controller.enqueue(new Uint8Array(1024 * 1024).fill(97));
          controller.close();
        },
      });
      // Chunked, no length declared: the store's count cuts it off.
      const res = await fetch(new URL('/upload?name=stream.csv', host.url), { method: 'POST', body: stream, duplex: 'half', headers: { authorization: `Bearer ${host.token}` } } as RequestInit);
      expect(res.status).toBe(413);
      expect(readdirSync(core.config.uploadsDir)).toEqual([]);
    } finally {
      anonymous.close();
      withToken.close();
    }
  });
});
