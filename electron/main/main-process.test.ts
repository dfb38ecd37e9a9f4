import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { IPC } from '../../shared/contract/names';

/**
 * The Electron main process with stand-ins for the electron module (no binary can run here):
 * what it registers, how it builds the window, and that quitting waits for the core's shutdown.
 */
const h = vi.hoisted(() => {
  type Listener = (...args: unknown[]) => unknown;
  const appListeners = new Map<string, Listener[]>();
  const windows: Array<{ options: Record<string, unknown>; listeners: Map<string, Listener>; openHandler?: Listener; loaded?: string }> = [];
  const ipcHandlers = new Map<string, Listener>();
  const headerHooks: Listener[] = [];
  const state = {
    exitCode: undefined as number | undefined,
    menuSet: false,
    permissionHandler: undefined as Listener | undefined,
    opened: [] as string[],
    confirmLinks: false,
  };
  return { appListeners, windows, ipcHandlers, headerHooks, state };
});

vi.mock('electron', () => {
  class BrowserWindow {
    static getAllWindows = (): unknown[] => h.windows;
    private readonly record: (typeof h.windows)[number];
    webContents: Record<string, unknown>;
    constructor(options: Record<string, unknown>) {
      this.record = { options, listeners: new Map() };
      h.windows.push(this.record);
      const record = this.record;
      this.webContents = {
        on: (event: string, fn: (...args: unknown[]) => unknown) => record.listeners.set(event, fn),
        setWindowOpenHandler: (fn: (...args: unknown[]) => unknown) => (record.openHandler = fn),
        isDestroyed: () => false,
        send: () => undefined,
      };
    }
    once(): void {}
    loadFile(file: string): Promise<void> {
      this.record.loaded = file;
      return Promise.resolve();
    }
    loadURL(url: string): Promise<void> {
      this.record.loaded = url;
      return Promise.resolve();
    }
    isDestroyed(): boolean {
      return false;
    }
    isMinimized(): boolean {
      return false;
    }
    show(): void {}
    focus(): void {}
    restore(): void {}
  }
  const app = {
    isPackaged: false,
    requestSingleInstanceLock: () => true,
    on: (event: string, fn: (...args: unknown[]) => unknown) => h.appListeners.set(event, [...(h.appListeners.get(event) ?? []), fn]),
    whenReady: () => Promise.resolve(),
    setPath: () => undefined,
    quit: () => undefined,
    exit: (code: number) => {
      h.state.exitCode = code;
    },
  };
  return {
    app,
    BrowserWindow,
    ipcMain: { handle: (channel: string, fn: (...args: unknown[]) => unknown) => h.ipcHandlers.set(channel, fn), removeHandler: (c: string) => h.ipcHandlers.delete(c) },
    Notification: class {
      static isSupported = (): boolean => false;
    },
    session: {
      defaultSession: {
        webRequest: { onHeadersReceived: (fn: (...args: unknown[]) => unknown) => h.headerHooks.push(fn) },
        setPermissionRequestHandler: (fn: (...args: unknown[]) => unknown) => (h.state.permissionHandler = fn),
        setPermissionCheckHandler: () => undefined,
      },
    },
    shell: {
      openExternal: (url: string) => {
        h.state.opened.push(url);
        return Promise.resolve();
      },
    },
    dialog: {
      showMessageBox: () => Promise.resolve({ response: h.state.confirmLinks ? 0 : 1 }),
      showOpenDialog: () => Promise.resolve({ canceled: true, filePaths: [] }),
    },
    safeStorage: { isEncryptionAvailable: () => false },
    Menu: {
      buildFromTemplate: (t: unknown) => t,
      setApplicationMenu: () => {
        h.state.menuSet = true;
      },
    },
  };
});

const prefs = (w: { options: Record<string, unknown> }): Record<string, unknown> => w.options.webPreferences as Record<string, unknown>;

describe('Electron main process (stand-in electron module)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'bm-main-'));
  const saved = { ...process.env };

  beforeAll(async () => {
    process.env.BACKTEST_MONITOR_DATA_DIR = dataDir;
    process.env.BACKTEST_MONITOR_DB = 'none';
    delete process.env.CC_MONGO_CONNECTION_STRING;
    await import('./index');
    await vi.waitFor(() => expect(h.windows).toHaveLength(1));
  });
  afterAll(() => {
    process.env = saved;
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('opens one hardened window on the built renderer with the CommonJS preload', () => {
    const prefs = h.windows[0]!.options.webPreferences as Record<string, unknown>;
    expect(prefs).toMatchObject({ contextIsolation: true, sandbox: true, nodeIntegration: false });
    expect(String(prefs.preload)).toMatch(/preload[\\/]index\.cjs$/);
    expect(h.windows[0]!.loaded).toMatch(/renderer[\\/]index\.html$/);
    expect(h.state.menuSet).toBe(true);
    expect(h.appListeners.has('second-instance')).toBe(true);
  });

  it('denies navigation away, new windows and permission requests, and sets the CSP header', () => {
    const w = h.windows[0]!;
    const prevent = vi.fn();
    w.listeners.get('will-navigate')!({ preventDefault: prevent }, 'https://evil.example/');
    expect(prevent).toHaveBeenCalled();
    expect(w.openHandler!({ url: 'https://example.com/' })).toEqual({ action: 'deny' });
    expect(prefs(w).devTools).toBe(true); // not packaged: development
    const granted = vi.fn();
    h.state.permissionHandler!({}, 'geolocation', granted);
    expect(granted).toHaveBeenCalledWith(false);
    let headers: Record<string, string[]> = {};
    h.headerHooks[0]!({ responseHeaders: {} }, (r: { responseHeaders: Record<string, string[]> }) => (headers = r.responseHeaders));
    expect(headers['Content-Security-Policy']![0]).toContain("default-src 'self'");
  });

  it('serves the contract to its own page over IPC, and refuses other pages', async () => {
    const invoke = h.ipcHandlers.get(IPC.invoke)!;
    const index = resolve(__dirname, '..', 'renderer', 'index.html');
    const own = { senderFrame: { url: `file://${index}`, parent: null } };
    expect(await invoke(own, 'database.status', {})).toMatchObject({ ok: true, data: { source: 'none' } });
    expect(await invoke({ senderFrame: { url: 'https://evil.example/', parent: null } }, 'database.status', {})).toMatchObject({
      ok: false,
      error: { code: 'forbidden' },
    });
  });

  it('opens an http(s) link only after the user confirmed it, and never another scheme', async () => {
    const w = h.windows[0]!;
    h.state.confirmLinks = false;
    w.openHandler!({ url: 'https://example.com/declined' });
    await new Promise((r) => setTimeout(r, 20));
    expect(h.state.opened).toEqual([]);
    h.state.confirmLinks = true;
    w.openHandler!({ url: 'https://example.com/accepted' });
    w.openHandler!({ url: 'file:///etc/passwd' });
    const prevent = vi.fn();
    w.listeners.get('will-navigate')!({ preventDefault: prevent }, 'javascript:alert(1)');
    await vi.waitFor(() => expect(h.state.opened).toEqual(['https://example.com/accepted']));
    expect(prevent).toHaveBeenCalled();
  });

  it('holds the quit until the core has shut down, then exits 0', async () => {
    const preventDefault = vi.fn();
    for (const fn of h.appListeners.get('before-quit') ?? []) fn({ preventDefault });
    expect(preventDefault).toHaveBeenCalled();
    await vi.waitFor(() => expect(h.state.exitCode).toBe(0), { timeout: 15_000 });
    expect(h.ipcHandlers.has(IPC.invoke)).toBe(false);
  });
});
