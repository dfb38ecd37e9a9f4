import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { WsBackend, type WebSocketLike } from '../../shared/contract/ws-client';
import { freshDatabaseUri } from '../../test/support/test-db';
import { createAppCore, type AppCore } from '../core/app/app-core';
import { buildCoreParts } from '../core/app/core-parts';
import { startHost, type RunningHost } from './ws-host';

const FILE = resolve(process.cwd(), '..', 'shared', 'data', 'candles', 'ETH_BTC-1m.json');
const createSocket = (url: string, init?: { headers: Record<string, string> }): WebSocketLike => new WebSocket(url, init) as unknown as WebSocketLike;

/** The mirror of the upload: `candles.export` over the contract, then the file streamed by `GET /download/<id>`. */
describe('headless host export → download, on the real core and test database', () => {
  let dataDir: string;
  let core: AppCore;
  let host: RunningHost;
  let backend: WsBackend;
  const key = { exchangeName: 'binance', symbol: 'ETH/BTC', interval: '1m' } as const;
  const rows = (JSON.parse(readFileSync(FILE, 'utf8')) as number[][]).length;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'bm-host-download-'));
    core = await createAppCore({
      config: { dataDir, envConnectionString: freshDatabaseUri('host_download'), probeLocalhost: false, embedded: false },
      parts: buildCoreParts,
      echoLog: false,
    });
    await core.databaseReady;
    host = await startHost(core);
    backend = new WsBackend({ url: host.url, token: host.token, createSocket });
    const text = readFileSync(FILE, 'utf8');
    const uploaded = await backend.upload(new Blob([text]), 'ETH_BTC-1m.json');
    if (!uploaded.ok) throw new Error(uploaded.error.message);
    const report = await backend.invoke('candles.import', { source: { kind: 'upload', uploadId: uploaded.data.uploadId, fileName: 'ETH_BTC-1m.json' }, exchangeName: 'binance' });
    if (!report.ok || !report.data.ok) throw new Error(JSON.stringify(report));
  }, 120_000);
  afterAll(async () => {
    backend?.close();
    await host?.close();
    if (core?.database.connection?.isConnected) await core.database.connection.connection.dropDatabase().catch(() => undefined);
    await core?.shutdown();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const prepare = async (format: 'csv' | 'json'): Promise<{ exportId: string; fileName: string; rows: number }> => {
    const prepared = await backend.invoke('candles.export', { ...key, format });
    if (!prepared.ok) throw new Error(prepared.error.message);
    return prepared.data;
  };

  it('streams the whole series as an attachment, equal to what was imported, and spends the id', async () => {
    const prepared = await prepare('json');
    expect(prepared.rows).toBe(rows);
    const url = new URL(`/download/${prepared.exportId}?name=${encodeURIComponent(prepared.fileName)}`, host.url);
    const res = await fetch(url, { headers: { authorization: `Bearer ${host.token}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-disposition')).toBe(`attachment; filename="binance_ETH-BTC_1m.json"; filename*=UTF-8''binance_ETH-BTC_1m.json`);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const body = (await res.json()) as number[][];
    expect(body).toEqual(JSON.parse(readFileSync(FILE, 'utf8')));
    // Read to the end: a second fetch of the same id finds nothing.
    const again = await fetch(url, { headers: { authorization: `Bearer ${host.token}` } });
    expect(again.status).toBe(404);
  });

  it('refuses without a session or token, and an address that is not an export id', async () => {
    const prepared = await prepare('csv');
    const anonymous = await fetch(new URL(`/download/${prepared.exportId}`, host.url));
    expect(anonymous.status).toBe(401);
    const traversal = await fetch(new URL('/download/..%2F..%2Fsecrets.json', host.url), { headers: { authorization: `Bearer ${host.token}` } });
    expect(traversal.status).not.toBe(200);
    // The refused attempt did not spend the export: the owner still gets the file.
    const res = await fetch(new URL(`/download/${prepared.exportId}?name=${prepared.fileName}`, host.url), { headers: { authorization: `Bearer ${host.token}` } });
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text.split('\n')[0]).toBe('timestamp,open,high,low,close,volume');
    expect(text.trimEnd().split('\n')).toHaveLength(rows + 1);
  });
});
