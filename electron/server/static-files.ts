import { createReadStream, existsSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, normalize, resolve, sep } from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.map': 'application/json; charset=utf-8',
};

/**
 * Same policy as the Electron window, plus the host's own WebSocket on the addresses it serves.
 * Built once from the host's configuration: a request header never reaches it.
 */
export function contentSecurityPolicy(servedHosts: Iterable<string>): string {
  // CSP host sources cannot name an IPv6 literal (Chromium rejects `ws://[::1]:port`); 'self' still covers the page's own address.
  const ws = [...servedHosts].filter((h) => /^[a-z0-9.-]+:\d+$/i.test(h)).map((h) => ` ws://${h}`).join('');
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    `connect-src 'self'${ws}`,
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/**
 * Serves the built renderer. Paths are resolved inside `root` only; unknown paths without an
 * extension get index.html (client-side routes).
 */
export function serveStatic(root: string, req: IncomingMessage, res: ServerResponse, csp: string): void {
  const base = resolve(root);
  const pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
  let file = resolve(join(base, normalize(pathname)));
  if (file !== base && !file.startsWith(base + sep)) {
    res.writeHead(403).end('forbidden');
    return;
  }
  if (!existsSync(file) || statSync(file).isDirectory()) {
    if (extname(pathname) && pathname !== '/') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    file = join(base, 'index.html');
  }
  if (!existsSync(file)) {
    res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8' }).end(`The UI is not built: run "npm run build" (looked in ${base}).`);
    return;
  }
  res.writeHead(200, {
    'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
    'content-security-policy': csp,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    // The page is only served to a signed-in browser: no shared cache may keep it.
    'cache-control': file.endsWith('index.html') ? 'no-cache, private' : 'private, max-age=31536000, immutable',
  });
  createReadStream(file).pipe(res);
}
