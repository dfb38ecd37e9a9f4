import type { Backend } from './backend';
import { findBridge, IpcBackend } from './ipc-client';
import { createWsBackend } from './ws-client';

/**
 * The renderer's one entry point: the preload bridge inside Electron, otherwise the WebSocket of
 * the host that served the page (token taken from the page's `?token=` when there is one).
 */
export function connectBackend(location: { href: string } = (globalThis as unknown as { location: { href: string } }).location): Backend {
  const bridge = findBridge();
  if (bridge) return new IpcBackend(bridge);
  const url = new URL(location.href);
  return createWsBackend({ url: url.origin, token: url.searchParams.get('token') ?? undefined });
}
