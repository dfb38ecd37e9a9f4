import { app, BrowserWindow, ipcMain, Notification } from 'electron';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createAppCore, type AppCore } from '../core/app/app-core';
import { loadConfig } from '../core/app/config';
import { buildCoreParts } from '../core/app/core-parts';
import { startIpcBridge, trustedRendererCheck } from './ipc-bridge';
import { installMenu } from './menu';
import { osNotificationFor } from './os-notifications';
import { createMainWindow, hardenSession } from './window';

const here = dirname(fileURLToPath(import.meta.url));
const preloadFile = join(here, '..', 'preload', 'index.cjs');
const rendererIndexFile = join(here, '..', 'renderer', 'index.html');
const devServerUrl = !app.isPackaged ? process.env.ELECTRON_RENDERER_URL : undefined;

let core: AppCore | undefined;
let win: BrowserWindow | undefined;
let quitting = false;

function focusWindow(): void {
  if (!win || win.isDestroyed()) return;
  if (win.isMinimized()) win.restore();
  win.show();
  win.focus();
}

async function start(): Promise<void> {
  hardenSession(devServerUrl);
  // loadConfig picks BACKTEST_MONITOR_DATA_DIR or the same per-user directory the headless host uses,
  // so both modes share settings, the embedded database and local files.
  app.setPath('userData', loadConfig().dataDir);
  core = await createAppCore({ parts: buildCoreParts });
  const appCore = core;
  const isTrustedSender = trustedRendererCheck(rendererIndexFile, devServerUrl);
  win = createMainWindow({
    preloadFile,
    rendererIndexFile,
    devServerUrl,
    isTrustedUrl: (url) => isTrustedSender({ url, parent: null }),
  });
  const bridge = startIpcBridge({
    ipcMain,
    dispatch: appCore.dispatch,
    bus: appCore.bus,
    targets: () => (win && !win.isDestroyed() ? [win.webContents] : []),
    isTrustedSender,
    onRejected: (reason) => appCore.log.warn(reason, 'ipc'),
  });
  installMenu((view) => {
    focusWindow();
    appCore.bus.emit('app.navigate', { view });
  });

  appCore.bus.listen((envelope) => {
    const note = osNotificationFor(envelope, appCore.settings.raw.osNotifications);
    if (!note || !Notification.isSupported()) return;
    const shown = new Notification({ title: note.title, body: note.body });
    shown.on('click', () => {
      focusWindow();
      appCore.bus.emit('app.navigate', note.runId ? { view: 'Sessions', runId: note.runId, notificationType: note.type } : { view: 'Notifications' });
    });
    shown.show();
  });

  app.on('before-quit', (event) => {
    if (quitting) return;
    // Hold the quit until runs are stopped, the spool is flushed and the database is closed.
    event.preventDefault();
    quitting = true;
    bridge.dispose();
    void appCore.shutdown().finally(() => app.exit(0));
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
    if (BrowserWindow.getAllWindows().length === 0 && core) void start();
  });
  // Quit cleanly on SIGTERM/SIGINT too (e.g. from a terminal or a service manager).
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => app.quit());
  app
    .whenReady()
    .then(start)
    .catch((error: unknown) => {
      console.error('Backtest Monitor failed to start', error);
      app.exit(1);
    });
}
