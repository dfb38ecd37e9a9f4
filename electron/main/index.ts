import { app, BrowserWindow, dialog, ipcMain, Notification, safeStorage, shell } from 'electron';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { createAppCore, type AppCore } from '../core/app/app-core';
import { installCrashGuard } from '../core/app/crash-guard';
import { loadConfig } from '../core/app/config';
import { buildCoreParts } from '../core/app/core-parts';
import type { Dispatch } from '../core/app/dispatcher';
import { AppEventBus } from '../core/app/event-bus';
import { FileSecretStore, type SecretCipher } from '../core/app/secret-store';
import { WIRE_SERVER_DIR_ENV } from '../core/db/wire-server';
import { openExternalConfirmed } from './external-links';
import { startIpcBridge, trustedRendererCheck } from './ipc-bridge';
import { installMenu } from './menu';
import { osNotificationFor } from './os-notifications';
import { createMainWindow, hardenSession } from './window';

const here = dirname(fileURLToPath(import.meta.url));
const preloadFile = join(here, '..', 'preload', 'index.cjs');
const rendererIndexFile = join(here, '..', 'renderer', 'index.html');
const devServerUrl = !app.isPackaged ? process.env.ELECTRON_RENDERER_URL : undefined;
const isTrustedSender = trustedRendererCheck(rendererIndexFile, devServerUrl);
/** Reload and DevTools exist only when running from the source tree, never in the packaged app. */
const development = !app.isPackaged;
// The packaged app has no source tree to build the embedded database from: it ships it built.
if (app.isPackaged && !process.env[WIRE_SERVER_DIR_ENV]) process.env[WIRE_SERVER_DIR_ENV] = join(process.resourcesPath, 'mongo-server');

let win: BrowserWindow | undefined;
let corePromise: Promise<AppCore> | undefined;
let quitting = false;

function openWindow(): void {
  win = createMainWindow({
    preloadFile,
    rendererIndexFile,
    devServerUrl,
    devTools: development,
    isTrustedUrl: (url) => isTrustedSender({ url, parent: null }),
    log: (message) => void corePromise?.then((core) => core.log.warn(message, 'main')),
  });
}

/** The OS keychain through Electron's safeStorage, when this system offers it. */
function keychainCipher(): SecretCipher | undefined {
  if (!safeStorage.isEncryptionAvailable()) return undefined;
  return { encrypt: (plain) => safeStorage.encryptString(plain), decrypt: (encrypted) => safeStorage.decryptString(encrypted) };
}

/** File → Choose Strategies Folder…: the only way the desktop app's strategies folder changes. */
async function chooseStrategiesDir(core: AppCore): Promise<void> {
  const options = { title: 'Choose the strategies folder', properties: ['openDirectory' as const, 'createDirectory' as const] };
  const result = win && !win.isDestroyed() ? await dialog.showOpenDialog(win, options) : await dialog.showOpenDialog(options);
  const dir = result.filePaths[0];
  if (result.canceled || !dir) return;
  core.setStrategiesDir(dir);
}

function focusWindow(): void {
  if (!win || win.isDestroyed()) openWindow();
  if (win!.isMinimized()) win!.restore();
  win!.show();
  win!.focus();
}

function start(): void {
  // The same per-user directory the headless host uses, so both modes share settings and data.
  const config = loadConfig();
  app.setPath('userData', config.dataDir);
  hardenSession(devServerUrl);
  // The window and IPC come up at once; the core (database search, services) follows, and
  // invokes made meanwhile wait for it instead of failing.
  const bus = new AppEventBus();
  const cipher = keychainCipher();
  const secrets = new FileSecretStore(join(config.dataDir, 'secrets.json'), cipher);
  const ready = createAppCore({ parts: buildCoreParts, bus, secrets });
  if (!cipher) void ready.then((core) => core.log.warn('the OS keychain is not available: secrets are kept in a 0600 file, unencrypted', 'main'));
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
    upload: async (fileName, text) => {
      const core = await ready;
      return core.uploads.receive(Readable.from([Buffer.from(text, 'utf8')]), { fileName, maxBytes: core.config.maxImportBytes });
    },
  });
  const inCore = (what: string, fn: (core: AppCore) => Promise<void> | void): void =>
    void ready.then(fn).catch((error: unknown) => void ready.then((core) => core.log.error(`${what} failed: ${error instanceof Error ? error.message : String(error)}`, 'main')));
  installMenu({
    development,
    showView: (view) => {
      focusWindow();
      bus.emit('app.navigate', { view });
    },
    chooseStrategiesDir: () => inCore('choosing the strategies folder', (core) => chooseStrategiesDir(core)),
    clearStrategiesDir: () => inCore('clearing the strategies folder', (core) => core.setStrategiesDir(undefined)),
    openComposeGuide: () =>
      inCore('opening the Compose guide', async () => {
        await openExternalConfirmed('https://docs.docker.com/compose/', {
          confirm: async (url) => (await dialog.showMessageBox({ type: 'question', buttons: ['Open in browser', 'Cancel'], cancelId: 1, message: 'Open this address in your web browser?', detail: url })).response === 0,
          open: (url) => shell.openExternal(url),
        });
      }),
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
