import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import type { EventEnvelope } from '../../shared/contract/events';
import { IPC } from '../../shared/contract/names';
import type { InvokeResult } from '../../shared/contract/result';
import { createDispatcher, type Handlers } from '../core/app/dispatcher';
import { AppEventBus } from '../core/app/event-bus';
import { startIpcBridge, trustedRendererCheck, type FrameLike, type InvokeEventLike, type IpcMainLike, type WebContentsLike } from './ipc-bridge';
import { osNotificationFor } from './os-notifications';
import { rendererCsp as rendererCspOf } from './security';

/** Stand-in for ipcMain: records the handler so the test can call it like Electron would. */
class FakeIpcMain implements IpcMainLike {
  handlers = new Map<string, (event: InvokeEventLike, ...args: unknown[]) => Promise<unknown>>();
  handle(channel: string, listener: (event: InvokeEventLike, ...args: unknown[]) => Promise<unknown>): void {
    this.handlers.set(channel, listener);
  }
  removeHandler(channel: string): void {
    this.handlers.delete(channel);
  }
  invoke(frame: FrameLike | null, channel: unknown, payload?: unknown): Promise<InvokeResult<unknown>> {
    return this.handlers.get(IPC.invoke)!({ senderFrame: frame }, channel, payload) as Promise<InvokeResult<unknown>>;
  }
}

class FakeWebContents implements WebContentsLike {
  sent: Array<{ channel: string; batch: EventEnvelope[] }> = [];
  destroyed = false;
  isDestroyed(): boolean {
    return this.destroyed;
  }
  send(channel: string, batch: unknown): void {
    this.sent.push({ channel, batch: batch as EventEnvelope[] });
  }
}

const INDEX = '/opt/Backtest Monitor/resources/app.asar/out/renderer/index.html';
const appFrame: FrameLike = { url: `file://${encodeURI(INDEX)}`, parent: null };

function setup(handlers: Partial<Handlers> = {}, batchIntervalMs = 20) {
  const ipcMain = new FakeIpcMain();
  const bus = new AppEventBus();
  const wc = new FakeWebContents();
  const settingsGet = vi.fn(async () => ({ osNotifications: { 'signal.closed': true, 'error.critical': true, 'run.completed': true }, theme: 'dark' as const }));
  const dispatch = createDispatcher({ 'settings.get': settingsGet, ...handlers } as Handlers);
  const rejected: string[] = [];
  const bridge = startIpcBridge({
    ipcMain,
    dispatch,
    bus,
    targets: () => [wc],
    isTrustedSender: trustedRendererCheck(INDEX),
    batchIntervalMs,
    onRejected: (r) => rejected.push(r),
  });
  return { ipcMain, bus, wc, bridge, settingsGet, rejected };
}

describe('Electron IPC bridge (with stand-ins for ipcMain and webContents)', () => {
  it('answers the app page and refuses other senders without calling the handler', async () => {
    const { ipcMain, settingsGet, rejected } = setup();
    expect(await ipcMain.invoke(appFrame, 'settings.get')).toMatchObject({ ok: true, data: { theme: 'dark' } });
    const untrusted: FrameLike[] = [
      { url: 'https://evil.example/index.html', parent: null },
      { url: 'file:///tmp/other/index.html', parent: null },
      { url: appFrame.url, parent: appFrame }, // an iframe inside the app page
    ];
    for (const frame of untrusted) {
      expect(await ipcMain.invoke(frame, 'settings.get')).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    }
    expect(await ipcMain.invoke(null, 'settings.get')).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    expect(settingsGet).toHaveBeenCalledTimes(1);
    expect(rejected).toHaveLength(4);
  });

  it('accepts the dev server origin only when one is configured', () => {
    const check = trustedRendererCheck(INDEX, 'http://localhost:5173/');
    expect(check({ url: 'http://localhost:5173/#/candles', parent: null })).toBe(true);
    expect(check({ url: 'http://localhost:5174/', parent: null })).toBe(false);
    expect(trustedRendererCheck(INDEX)({ url: 'http://localhost:5173/', parent: null })).toBe(false);
  });

  it('validates payloads: errors name the field, unknown channels are refused, nothing throws', async () => {
    const stop = vi.fn();
    const { ipcMain } = setup({ 'runs.stop': stop });
    const bad = await ipcMain.invoke(appFrame, 'runs.stop', { runId: 42 });
    expect(bad).toMatchObject({ ok: false, error: { code: 'invalid_payload', issues: [{ path: 'runId' }] } });
    expect(await ipcMain.invoke(appFrame, 'fs.readFile', { path: '/etc/passwd' })).toMatchObject({ ok: false, error: { code: 'unknown_channel' } });
    expect(await ipcMain.invoke(appFrame, { toString: null }, undefined)).toMatchObject({ ok: false });
    expect(stop).not.toHaveBeenCalled();
  });

  it('turns a handler exception into an error result', async () => {
    const { ipcMain } = setup({ 'runs.list': async () => { throw new Error('boom at mongodb://u:secret@db:27017/x'); } });
    const result = await ipcMain.invoke(appFrame, 'runs.list', {});
    expect(result).toMatchObject({ ok: false, error: { code: 'internal' } });
    expect(JSON.stringify(result)).not.toContain('secret');
  });

  it('batches events: many emits become few sends, in order, nothing lost', async () => {
    const { bus, wc } = setup({}, 20);
    for (let i = 0; i < 1000; i++) bus.emit('notifications.unread', { count: i });
    expect(wc.sent).toHaveLength(0);
    await new Promise((r) => setTimeout(r, 60));
    expect(wc.sent.length).toBeGreaterThanOrEqual(1);
    expect(wc.sent.length).toBeLessThanOrEqual(2);
    const seqs = wc.sent.flatMap((s) => s.batch.map((e) => e.seq));
    expect(seqs).toEqual(Array.from({ length: 1000 }, (_, i) => i + 1));
    expect(wc.sent.every((s) => s.channel === IPC.events)).toBe(true);
  });

  it('skips a destroyed window and stops after dispose', async () => {
    const { bus, wc, bridge, ipcMain } = setup({}, 5);
    wc.destroyed = true;
    bus.emit('notifications.unread', { count: 1 });
    await new Promise((r) => setTimeout(r, 20));
    expect(wc.sent).toHaveLength(0);
    bridge.dispose();
    wc.destroyed = false;
    bus.emit('notifications.unread', { count: 2 });
    await new Promise((r) => setTimeout(r, 20));
    expect(wc.sent).toHaveLength(0);
    expect(ipcMain.handlers.size).toBe(0);
  });
});

describe('OS notifications', () => {
  const all = { 'signal.closed': true, 'error.critical': true, 'run.completed': true };
  const note = (type: string, data?: Record<string, unknown>): EventEnvelope =>
    ({ seq: 1, event: 'notification', payload: { notificationId: 'n', type, backtest: false, runId: 'r1', title: 'T', message: 'M', createdAt: 0, read: false, data } }) as EventEnvelope;

  it('shows take-profit and stop-loss closes, critical errors and completed runs, with the run to focus', () => {
    expect(osNotificationFor(note('signal.closed', { closeReason: 'take_profit' }), all)).toMatchObject({ type: 'signal.closed', runId: 'r1' });
    expect(osNotificationFor(note('signal.closed', { closeReason: 'stop_loss' }), all)).toBeDefined();
    expect(osNotificationFor(note('error.critical'), all)).toMatchObject({ type: 'error.critical' });
    expect(osNotificationFor(note('run.completed'), all)).toMatchObject({ type: 'run.completed', runId: 'r1' });
  });

  it('stays quiet for other types, time-expired closes, and types turned off in Settings', () => {
    expect(osNotificationFor(note('signal.closed', { closeReason: 'time_expired' }), all)).toBeUndefined();
    expect(osNotificationFor(note('signal.opened'), all)).toBeUndefined();
    expect(osNotificationFor(note('run.completed'), { ...all, 'run.completed': false })).toBeUndefined();
    expect(osNotificationFor({ seq: 1, event: 'notifications.unread', payload: { count: 1 } }, all)).toBeUndefined();
  });
});

describe('window hardening', () => {
  it('isolates and sandboxes the renderer without Node, and the CSP allows only the app itself', async () => {
    const { SECURE_WEB_PREFERENCES, rendererCsp } = await import('./security');
    expect(SECURE_WEB_PREFERENCES).toMatchObject({ contextIsolation: true, sandbox: true, nodeIntegration: false, webviewTag: false });
    const csp = rendererCsp();
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self';");
    expect(csp).not.toMatch(/unsafe-eval/);
    expect(csp).toContain("object-src 'none'");
  });
});

describe('dispatcher', () => {
  it('answers a database outage as unavailable, without logging it as a bug', async () => {
    const logged: string[] = [];
    const dispatch = createDispatcher(
      { 'runs.list': async () => Promise.reject(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:27017'), { name: 'MongoNetworkError' })) } as unknown as Handlers,
      (channel) => logged.push(channel),
    );
    expect(await dispatch('runs.list', {})).toMatchObject({ ok: false, error: { code: 'unavailable', message: expect.stringContaining('unreachable') } });
    expect(logged).toEqual([]);
  });
});

describe('desktop hardening', () => {
  it('compares the whole file:// URL of the sender, not only its path', () => {
    const check = trustedRendererCheck(INDEX);
    expect(check({ url: `${appFrame.url}#/candles`, parent: null })).toBe(true);
    expect(check({ url: `file://evil-host${encodeURI(INDEX)}`, parent: null })).toBe(false);
    expect(check({ url: `${appFrame.url}?inject=1`, parent: null })).toBe(false);
    expect(check({ url: `file://${encodeURI(INDEX)}.html`, parent: null })).toBe(false);
    expect(check({ url: `file://${encodeURI(INDEX.replace('index.html', 'other.html'))}`, parent: null })).toBe(false);
  });

  it('takes desktop uploads from the app page only, into the upload store', async () => {
    const ipcMain = new FakeIpcMain();
    const received: Array<{ fileName: string; text: string }> = [];
    startIpcBridge({
      ipcMain,
      dispatch: createDispatcher({} as Handlers),
      bus: new AppEventBus(),
      targets: () => [],
      isTrustedSender: trustedRendererCheck(INDEX),
      upload: async (fileName, text) => {
        received.push({ fileName, text });
        return { uploadId: '0b7c2f4e-1111-4222-8333-944445555666' };
      },
    });
    const upload = (frame: FrameLike | null, payload: unknown) => ipcMain.handlers.get(IPC.upload)!({ senderFrame: frame }, payload);
    expect(await upload(appFrame, { fileName: 'ETH_BTC-1m.json', text: '[]' })).toMatchObject({ ok: true, data: { uploadId: expect.any(String) } });
    expect(await upload({ url: 'https://evil.example/', parent: null }, { fileName: 'x.csv', text: 'x' })).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    expect(await upload(appFrame, { fileName: '', text: 'x' })).toMatchObject({ ok: false, error: { code: 'invalid_payload' } });
    expect(received).toEqual([{ fileName: 'ETH_BTC-1m.json', text: '[]' }]);
  });

  it('menu: reload and DevTools only in development', async () => {
    const { buildMenuTemplate } = await import('./menu-template');
    const roles = (development: boolean): string[] =>
      buildMenuTemplate({ development, showView: () => undefined, chooseStrategiesDir: () => undefined, clearStrategiesDir: () => undefined, openComposeGuide: () => undefined })
        .flatMap((item) => (Array.isArray(item.submenu) ? item.submenu : []))
        .map((item) => String(item.role ?? item.label ?? ''));
    expect(roles(false)).not.toContain('toggleDevTools');
    expect(roles(false)).not.toContain('reload');
    expect(roles(false)).toContain('Choose Strategies Folder…');
    expect(roles(true)).toContain('toggleDevTools');
  });

  it('external links: only http(s), only after the user confirmed', async () => {
    const { openExternalConfirmed } = await import('./external-links');
    const opened: string[] = [];
    const deps = (answer: boolean) => ({ confirm: async () => answer, open: async (url: string) => void opened.push(url) });
    expect(await openExternalConfirmed('https://example.com/a', deps(false))).toBe(false);
    expect(await openExternalConfirmed('file:///etc/passwd', deps(true))).toBe(false);
    expect(await openExternalConfirmed('javascript:alert(1)', deps(true))).toBe(false);
    expect(await openExternalConfirmed('https://example.com/b', deps(true))).toBe(true);
    expect(opened).toEqual(['https://example.com/b']);
  });

  it('the page CSP lets the renderer connect to its own origin only', () => {
    const html = readFileSync(resolve(__dirname, '..', '..', 'renderer', 'index.html'), 'utf8');
    const csp = /http-equiv="Content-Security-Policy"\s+content="([^"]+)"/.exec(html)?.[1] ?? '';
    const connect = csp.split(';').map((d) => d.trim()).find((d) => d.startsWith('connect-src'));
    expect(connect).toBe("connect-src 'self'");
    expect(rendererCspOf()).toContain("connect-src 'self';");
  });

  it('electron-builder flips the security fuses', () => {
    const yml = readFileSync(resolve(__dirname, '..', '..', 'electron-builder.yml'), 'utf8');
    const fuses = yml.slice(yml.indexOf('electronFuses:'));
    for (const line of ['runAsNode: false', 'enableCookieEncryption: true', 'enableNodeOptionsEnvironmentVariable: false', 'enableNodeCliInspectArguments: false', 'enableEmbeddedAsarIntegrityValidation: true', 'onlyLoadAppFromAsar: true']) {
      expect(fuses).toMatch(new RegExp(`^  ${line}$`, 'm'));
    }
  });
});
