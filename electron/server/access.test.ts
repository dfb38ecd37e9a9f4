import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { checkAccess, servedHosts } from './access';

const req = (headers: Record<string, string>): IncomingMessage => ({ headers }) as unknown as IncomingMessage;

describe('served hosts and the access check', () => {
  it('serves the loopback names and the bound address on its port, plus configured names', () => {
    const served = servedHosts('127.0.0.1', 4000, ['monitor.example', 'proxy.example:443', '[fd00::1]']);
    for (const h of ['127.0.0.1:4000', 'localhost:4000', '[::1]:4000', 'monitor.example:4000', 'proxy.example:443', '[fd00::1]:4000']) expect(served.has(h), h).toBe(true);
    expect(served.has('127.0.0.1:4001')).toBe(false);
    expect(served.has('evil.example:4000')).toBe(false);
  });

  it('checks Host, then Origin, then Fetch Metadata', () => {
    const served = servedHosts('127.0.0.1', 4000);
    expect(checkAccess(req({ host: '127.0.0.1:4000' }), served, { requireOrigin: false })).toEqual({ ok: true });
    expect(checkAccess(req({ host: 'LOCALHOST:4000', origin: 'http://127.0.0.1:4000' }), served, { requireOrigin: true })).toEqual({ ok: true });
    expect(checkAccess(req({}), served, { requireOrigin: false })).toMatchObject({ ok: false, status: 421 });
    expect(checkAccess(req({ host: 'evil.example:4000' }), served, { requireOrigin: false })).toMatchObject({ ok: false, status: 421 });
    expect(checkAccess(req({ host: '127.0.0.1:4000', origin: 'http://127.0.0.1:4001' }), served, { requireOrigin: false })).toMatchObject({ status: 403 });
    expect(checkAccess(req({ host: '127.0.0.1:4000', origin: 'file://' }), served, { requireOrigin: false })).toMatchObject({ status: 403 });
    expect(checkAccess(req({ host: '127.0.0.1:4000', origin: 'http://127.0.0.1' }), served, { requireOrigin: false })).toMatchObject({ status: 403 });
    expect(checkAccess(req({ host: '127.0.0.1:4000' }), served, { requireOrigin: true })).toMatchObject({ status: 403, reason: 'no Origin header' });
    expect(checkAccess(req({ host: '127.0.0.1:4000', 'sec-fetch-site': 'same-site', 'sec-fetch-mode': 'cors' }), served, { requireOrigin: false })).toMatchObject({ status: 403 });
    expect(checkAccess(req({ host: '127.0.0.1:4000', 'sec-fetch-site': 'none', 'sec-fetch-mode': 'navigate' }), served, { requireOrigin: false })).toEqual({ ok: true });
  });

  it('serves every interface address when bound to all of them', () => {
    const served = servedHosts('0.0.0.0', 4000);
    expect(served.has('127.0.0.1:4000')).toBe(true);
    expect(served.has('0.0.0.0:4000')).toBe(false);
  });
});
