import { BrowserWindow, session, shell } from 'electron';
import { rendererCsp, SECURE_WEB_PREFERENCES } from './security';

export interface WindowOptions {
  preloadFile: string;
  rendererIndexFile: string;
  devServerUrl?: string;
  isTrustedUrl: (url: string) => boolean;
}

/** Hardening that applies to every page of the default session, set once before the window. */
export function hardenSession(devServerUrl?: string): void {
  const csp = rendererCsp(devServerUrl);
  session.defaultSession.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [csp] } });
  });
  // The app needs no camera, geolocation, notifications-from-page, etc.
  session.defaultSession.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
  session.defaultSession.setPermissionCheckHandler(() => false);
}

export function createMainWindow(options: WindowOptions): BrowserWindow {
  const win = new BrowserWindow({
    width: 1440,
    height: 900,
    minWidth: 960,
    minHeight: 600,
    show: false,
    backgroundColor: '#0f1216',
    title: 'Backtest Monitor',
    webPreferences: { ...SECURE_WEB_PREFERENCES, preload: options.preloadFile },
  });
  win.once('ready-to-show', () => win.show());

  // Navigation away from the app and new windows are denied; http(s) links open in the browser.
  win.webContents.on('will-navigate', (event, url) => {
    if (!options.isTrustedUrl(url)) event.preventDefault();
  });
  win.webContents.on('will-redirect', (event, url) => {
    if (!options.isTrustedUrl(url)) event.preventDefault();
  });
  win.webContents.setWindowOpenHandler(({ url }) => {
    if (/^https?:\/\//.test(url)) void shell.openExternal(url);
    return { action: 'deny' };
  });
  win.webContents.on('will-attach-webview', (event) => event.preventDefault());

  if (options.devServerUrl) void win.loadURL(options.devServerUrl);
  else void win.loadFile(options.rendererIndexFile);
  return win;
}
