import { networkInterfaces } from 'node:os';
import type { IncomingMessage } from 'node:http';

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}

const isWildcard = (host: string): boolean => host === '0.0.0.0' || host === '::' || host === '';

const withPort = (name: string, port: number): string => `${name.includes(':') ? `[${name}]` : name}:${port}`;

/**
 * The `host:port` values a request may name in its Host header (and an Origin may carry): the
 * loopback names, the bound address, every local interface address when bound to all of them,
 * and any extra names from configuration (a DNS name or a reverse proxy's host). Anything else is
 * a DNS-rebinding page or a misdirected request.
 */
export function servedHosts(bound: string, port: number, extra: readonly string[] = []): Set<string> {
  const names = new Set<string>(['127.0.0.1', 'localhost', '::1']);
  if (isWildcard(bound)) {
    for (const list of Object.values(networkInterfaces())) for (const info of list ?? []) names.add(info.address);
  } else {
    names.add(bound);
  }
  const hosts = new Set<string>();
  for (const name of names) hosts.add(withPort(name, port).toLowerCase());
  // Extra names may carry their own port (a proxy on 443); without one they mean this port.
  for (const name of extra) hosts.add((/^\[.*\]:\d+$|^[^:]+:\d+$/.test(name) ? name : withPort(name.replace(/^\[|\]$/g, ''), port)).toLowerCase());
  return hosts;
}

export type AccessVerdict = { ok: true } | { ok: false; status: number; reason: string };

/**
 * Host and Origin of one request. `requireOrigin`: a browser always sends Origin on a WebSocket
 * handshake, so a cookie-carrying upgrade without one is not from the app's page.
 * Cross-site requests a page can make without an Origin header (images, no-cors GETs) are told
 * apart by the browser's Fetch Metadata and refused before they reach any secret check.
 */
export function checkAccess(req: IncomingMessage, served: ReadonlySet<string>, options: { requireOrigin: boolean }): AccessVerdict {
  const host = req.headers.host?.toLowerCase();
  if (!host || !served.has(host)) return { ok: false, status: 421, reason: 'foreign Host header' };
  const origin = req.headers.origin;
  if (origin !== undefined) {
    let originHost: string | undefined;
    try {
      const parsed = new URL(origin);
      if (parsed.protocol === 'http:' || parsed.protocol === 'https:') originHost = parsed.host.toLowerCase();
    } catch {
      originHost = undefined;
    }
    if (!originHost || !served.has(withDefaultPort(originHost, origin))) return { ok: false, status: 403, reason: 'foreign Origin' };
  } else if (options.requireOrigin) {
    return { ok: false, status: 403, reason: 'no Origin header' };
  }
  const site = req.headers['sec-fetch-site'];
  // Another site may only send the user here by a top-level navigation (a link), never from a frame or a script.
  const topLevel = req.headers['sec-fetch-mode'] === 'navigate' && req.headers['sec-fetch-dest'] === 'document';
  if ((site === 'cross-site' || site === 'same-site') && !topLevel) return { ok: false, status: 403, reason: `${site} request` };
  return { ok: true };
}

/** URL.host drops the default port; the served set always names one. */
function withDefaultPort(host: string, origin: string): string {
  if (/:\d+$/.test(host)) return host;
  return `${host}:${origin.startsWith('https:') ? 443 : 80}`;
}
