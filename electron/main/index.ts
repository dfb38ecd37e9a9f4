import { app, BrowserWindow, ipcMain, Notification } from 'electron';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createAppCore, type AppCore } from '../core/app/app-core';
import { installCrashGuard } from '../core/app/crash-guard';
import { loadConfig } from '../core/app/config';
import { buildCoreParts } from '../core/app/core-parts';
import type { Dispatch } from '../core/app/dispatcher';
import { AppEventBus } from '../core/app/event-bus';
import { startIpcBridge, trustedRendererCheck } from './ipc-bridge';
import { installMenu } from './menu';
import { osNotificationFor } from './os-notifications';
import { createMainWindow, hardenSession } from './window';

const here = dirname(fileURLToPath(import.meta.url));
const preloadFile = join(here, '..', 'preload', 'index.cjs');
const rendererIndexFile = join(here, '..', 'renderer', 'index.html');
const devServerUrl = !app.isPackaged ? process.env.ELECTRON_RENDERER_URL : undefined;
const isTrustedSender = trustedRendererCheck(rendererIndexFile, devServerUrl);

let win: BrowserWindow | undefined;
let corePromise: Promise<AppCore> | undefined;
let quitting = false;

function openWindow(): void {
  win = createMainWindow({ preloadFile, rendererIndexFile, devServerUrl, isTrustedUrl: (url) => isTrustedSender({ url, parent: null }) });
}

function focusWindow(): void {
  if (!win || win.isDestroyed()) openWindow();
  if (win!.isMinimized()) win!.restore();
  win!.show();
  win!.focus();
}

function start(): void {
  // The same per-user directory the headless host uses, so both modes share settings and data.
  app.setPath('userData', loadConfig().dataDir);
  hardenSession(devServerUrl);
  // The window and IPC come up at once; the core (database search, services) follows, and
  // invokes made meanwhile wait for it instead of failing.
  const bus = new AppEventBus();
  const ready = createAppCore({ parts: buildCoreParts, bus });
  installCrashGuard((message) => {
    console.error(message);
    void ready.then((core) => core.log.error(message, 'main'), () => undefined);
  });
  corePromise = ready;
  const dispatch: Dispatch = async (channel, payload) => (await ready).dispatch(channel, payload);
  openWindow();
  const bridge = startIpcBridge({
    ipcMain,
    dispatch,
    bus,
    targets: () => (win && !win.isDestroyed() ? [win.webContents] : []),
    isTrustedSender,
    onRejected: (reason) => void ready.then((core) => core.log.warn(reason, 'ipc')),
  });
  installMenu((view) => {
    focusWindow();
    bus.emit('app.navigate', { view });
  });

  void ready.then((core) => {
    bus.listen((envelope) => {
      const note = osNotificationFor(envelope, core.settings.raw.osNotifications);
      if (!note || !Notification.isSupported()) return;
      const shown = new Notification({ title: note.title, body: note.body });
      shown.on('click', () => {
        focusWindow();
        bus.emit('app.navigate', note.runId ? { view: 'Sessions', runId: note.runId, notificationType: note.type } : { view: 'Notifications' });
      });
      shown.show();
    });
  });

  app.on('before-quit', (event) => {
    if (quitting) return;
    // Hold the quit until runs are stopped, the spool is flushed and the database is closed.
    event.preventDefault();
    quitting = true;
    bridge.dispose();
    void ready
      .then((core) => core.shutdown())
      .catch((error: unknown) => console.error('shutdown failed', error))
      .finally(() => app.exit(0));
  });
}

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.on('second-instance', () => focusWindow());
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });
  app.on('activate', () => {
    if (corePromise && BrowserWindow.getAllWindows().length === 0) openWindow();
  });
  // Quit cleanly on SIGTERM/SIGINT too (from a terminal or a service manager).
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => app.quit());
  app
    .whenReady()
    .then(start)
    .catch((error: unknown) => {
      console.error('Backtest Monitor failed to start', error);
      app.exit(1);
    });
}
