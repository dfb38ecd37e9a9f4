import type { Backend } from './backend';
import { findBridge, IpcBackend } from './ipc-client';
import { createWsBackend } from './ws-client';

/**
 * The renderer's one entry point: the preload bridge inside Electron, otherwise the WebSocket of
 * the host that served the page. No secret is read from the URL: the host gave this browser a
 * session cookie when it signed in, and the WebSocket and uploads carry it.
 */
export function connectBackend(location: { href: string } = (globalThis as unknown as { location: { href: string } }).location): Backend {
  const bridge = findBridge();
  if (bridge) return new IpcBackend(bridge);
  const url = new URL(location.href);
  return createWsBackend({ url: url.origin });
}
