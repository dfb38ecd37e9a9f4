import type { EventEnvelope } from '../../shared/contract/events';
import { IPC } from '../../shared/contract/names';
import { fail, type InvokeResult } from '../../shared/contract/result';
import type { Dispatch } from '../core/app/dispatcher';
import { EventBatcher, type EnvelopeListener } from '../core/app/event-bus';

/** The parts of Electron's IPC the bridge uses, so vitest can hand in stand-ins. */
export interface FrameLike {
  readonly url: string;
  readonly parent: FrameLike | null;
}
export interface InvokeEventLike {
  readonly senderFrame: FrameLike | null;
}
export interface IpcMainLike {
  handle(channel: string, listener: (event: InvokeEventLike, ...args: unknown[]) => Promise<unknown>): void;
  removeHandler(channel: string): void;
}
export interface WebContentsLike {
  isDestroyed(): boolean;
  send(channel: string, ...args: unknown[]): void;
}

export interface IpcBridgeOptions {
  ipcMain: IpcMainLike;
  dispatch: Dispatch;
  bus: { listen(listener: EnvelopeListener): () => void };
  /** Where event batches go: the app's window(s). */
  targets: () => WebContentsLike[];
  /** True only for the app's own top-level page. */
  isTrustedSender: (frame: FrameLike) => boolean;
  batchIntervalMs?: number;
  onRejected?: (reason: string) => void;
}

/**
 * A frame is trusted when it is a top-level frame showing the app's renderer: the built
 * index.html (file://) or, in development, the electron-vite dev server's origin.
 */
export function trustedRendererCheck(rendererIndexFile: string, devServerUrl?: string): (frame: FrameLike) => boolean {
  const fileUrl = new URL(`file://${rendererIndexFile.startsWith('/') ? '' : '/'}${rendererIndexFile.replace(/\\/g, '/')}`);
  const devOrigin = devServerUrl ? new URL(devServerUrl).origin : undefined;
  return (frame) => {
    if (frame.parent !== null) return false;
    let url: URL;
    try {
      url = new URL(frame.url);
    } catch {
      return false;
    }
    if (url.protocol === 'file:') return decodeURIComponent(url.pathname) === decodeURIComponent(fileUrl.pathname);
    return devOrigin !== undefined && url.origin === devOrigin;
  };
}

/**
 * Serves the contract over Electron IPC: one invoke channel (sender checked, payload validated by
 * the dispatcher) and one event channel carrying batches every ~25 ms.
 */
export function startIpcBridge(options: IpcBridgeOptions): { flush(): void; dispose(): void } {
  const { ipcMain } = options;
  ipcMain.handle(IPC.invoke, async (event, channel, payload): Promise<InvokeResult<unknown>> => {
    const frame = event.senderFrame;
    if (!frame || !options.isTrustedSender(frame)) {
      const reason = `refused ${typeof channel === 'string' ? channel : typeof channel} from an untrusted sender (${frame?.url ?? 'a destroyed frame'})`;
      options.onRejected?.(reason);
      return fail('forbidden', reason);
    }
    return options.dispatch(channel, payload);
  });

  const batcher = new EventBatcher((batch: EventEnvelope[]) => {
    for (const target of options.targets()) if (!target.isDestroyed()) target.send(IPC.events, batch);
  }, options.batchIntervalMs ?? 25);
  const unlisten = options.bus.listen((envelope) => batcher.push(envelope));

  return {
    flush: () => batcher.flush(),
    dispose: () => {
      unlisten();
      batcher.dispose();
      ipcMain.removeHandler(IPC.invoke);
    },
  };
}
