/** The renderer's Content-Security-Policy: only the app's own scripts, no eval, no remote content. */
export function rendererCsp(devServerUrl?: string): string {
  const dev = devServerUrl ? new URL(devServerUrl) : undefined;
  // The dev server needs its HMR WebSocket and inline React-refresh preamble; the built app needs neither.
  const devConnect = dev ? ` ${dev.origin} ws://${dev.host}` : '';
  const devScript = dev ? ` ${dev.origin} 'unsafe-inline'` : '';
  return [
    "default-src 'self'",
    `script-src 'self'${devScript}`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    `connect-src 'self'${devConnect}`,
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/** The renderer's web preferences (without the preload path): isolated, sandboxed, no Node. */
export const SECURE_WEB_PREFERENCES = {
  contextIsolation: true,
  sandbox: true,
  nodeIntegration: false,
  nodeIntegrationInWorker: false,
  nodeIntegrationInSubFrames: false,
  webSecurity: true,
  allowRunningInsecureContent: false,
  webviewTag: false,
  spellcheck: false,
} as const;
