import { BrowserWindow, dialog, session, shell } from 'electron';
import { openExternalConfirmed, isWebLink } from './external-links';
import { rendererCsp, SECURE_WEB_PREFERENCES } from './security';

export interface WindowOptions {
  preloadFile: string;
  rendererIndexFile: string;
  devServerUrl?: string;
  isTrustedUrl: (url: string) => boolean;
  /** DevTools exist only in development (not in the packaged app). */
  devTools: boolean;
  log?: (message: string) => void;
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
    icon: options.rendererIndexFile.replace(/index\.html$/, 'icon.png'), // from renderer/public (scripts/icons.mjs)
    webPreferences: { ...SECURE_WEB_PREFERENCES, devTools: options.devTools, preload: options.preloadFile },
  });
  win.once('ready-to-show', () => win.show());

  const openLink = (url: string): void => {
    void openExternalConfirmed(url, {
      confirm: async (link) => {
        const { response } = await dialog.showMessageBox(win, {
          type: 'question',
          buttons: ['Open in browser', 'Cancel'],
          defaultId: 1,
          cancelId: 1,
          title: 'Open link',
          message: 'Open this address in your web browser?',
          detail: link,
        });
        return response === 0;
      },
      open: (link) => shell.openExternal(link),
      ...(options.log ? { log: options.log } : {}),
    }).catch((error: unknown) => options.log?.(`opening a link failed: ${error instanceof Error ? error.message : String(error)}`));
  };

  // Navigation away from the app and new windows are denied; http(s) links open in the browser once confirmed.
  win.webContents.on('will-navigate', (event, url) => {
    if (options.isTrustedUrl(url)) return;
    event.preventDefault();
    if (isWebLink(url)) openLink(url);
  });
  win.webContents.on('will-redirect', (event, url) => {
    if (!options.isTrustedUrl(url)) event.preventDefault();
  });
  win.webContents.setWindowOpenHandler(({ url }) => {
    if (isWebLink(url)) openLink(url);
    return { action: 'deny' };
  });
  win.webContents.on('will-attach-webview', (event) => event.preventDefault());
  if (!options.devTools) {
    // Belt and braces: even a shortcut cannot open DevTools in the packaged app.
    win.webContents.on('devtools-opened', () => win.webContents.closeDevTools());
  }

  if (options.devServerUrl) void win.loadURL(options.devServerUrl);
  else void win.loadFile(options.rendererIndexFile);
  return win;
}
