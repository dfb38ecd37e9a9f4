import type { EventEnvelope } from '../../shared/contract/events';
import { IPC } from '../../shared/contract/names';
import { ContractFailure, fail, ok, type InvokeResult } from '../../shared/contract/result';
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
  /** Desktop uploads (`uploads.put`): the file's contents into the core's upload store. */
  upload?: (fileName: string, text: string) => Promise<{ uploadId: string }>;
}

const MAX_UPLOAD_NAME = 255;

/**
 * A frame is trusted when it is a top-level frame showing the app's renderer: exactly the built
 * index.html (file://, no host, no query: the whole URL but its #route is compared, not only the
 * path) or, in development, the electron-vite dev server's origin.
 */
export function trustedRendererCheck(rendererIndexFile: string, devServerUrl?: string): (frame: FrameLike) => boolean {
  const fileUrl = pathToFileURL(rendererIndexFile);
  const devOrigin = devServerUrl ? new URL(devServerUrl).origin : undefined;
  return (frame) => {
    if (frame.parent !== null) return false;
    let url: URL;
    try {
      url = new URL(frame.url);
    } catch {
      return false;
    }
    if (url.protocol === 'file:') {
      url.hash = '';
      // Percent-encoding may differ (Chromium encodes spaces, Node too, others not): compare decoded.
      return url.host === '' && url.search === '' && safeDecode(url.href) === safeDecode(fileUrl.href);
    }
    return devOrigin !== undefined && url.origin === devOrigin;
  };
}

function safeDecode(href: string): string | undefined {
  try {
    return decodeURI(href);
  } catch {
    return undefined;
  }
}

function pathToFileURL(file: string): URL {
  const path = file.replace(/\\/g, '/');
  return new URL(`file://${path.startsWith('/') ? '' : '/'}${path.split('/').map(encodeURIComponent).join('/')}`);
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

  ipcMain.handle(IPC.upload, async (event, payload): Promise<InvokeResult<unknown>> => {
    const frame = event.senderFrame;
    if (!frame || !options.isTrustedSender(frame)) {
      const reason = `refused an upload from an untrusted sender (${frame?.url ?? 'a destroyed frame'})`;
      options.onRejected?.(reason);
      return fail('forbidden', reason);
    }
    if (!options.upload) return fail('unavailable', 'uploads are not available');
    const { fileName, text } = (payload ?? {}) as { fileName?: unknown; text?: unknown };
    if (typeof fileName !== 'string' || fileName.trim() === '' || fileName.length > MAX_UPLOAD_NAME) {
      return fail('invalid_payload', 'uploads.put: fileName must be a file name of 1-255 characters', [{ path: 'fileName', message: 'required' }]);
    }
    if (typeof text !== 'string') return fail('invalid_payload', 'uploads.put: text must be the file contents', [{ path: 'text', message: 'required' }]);
    try {
      return ok(await options.upload(fileName, text));
    } catch (error) {
      if (error instanceof ContractFailure) return fail(error.code, error.message, error.issues);
      return fail('internal', `the upload of ${fileName} failed: ${error instanceof Error ? error.message : String(error)}`);
    }
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
      ipcMain.removeHandler(IPC.upload);
    },
  };
}
