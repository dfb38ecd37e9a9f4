import type { Backend, BridgeApi, RequestArgs, TransportState } from './backend';
import type { InvokeChannel, ResponseOf } from './channels';
import { EventHub } from './event-hub';
import { BRIDGE_KEY, DESKTOP_UPLOAD_CHANNEL } from './names';
import { fail, type InvokeResult } from './result';

/** Backend over the Electron preload bridge (`window.backtestMonitor`). */
export class IpcBackend implements Backend {
  readonly transport = 'ipc' as const;
  private readonly hub = new EventHub();
  private readonly unlisten: () => void;

  constructor(private readonly bridge: BridgeApi) {
    this.unlisten = bridge.onEvents((events) => this.hub.dispatch(events));
    this.hub.setState({ kind: 'connected', lostEvents: false });
  }

  async invoke<C extends InvokeChannel>(channel: C, ...args: RequestArgs<C>): Promise<InvokeResult<ResponseOf<C>>> {
    try {
      return (await this.bridge.invoke(channel, args[0])) as InvokeResult<ResponseOf<C>>;
    } catch (error) {
      return fail('transport', error instanceof Error ? error.message : String(error));
    }
  }

  /**
   * In the desktop app the file's contents go to the main process over IPC (`uploads.put`), which
   * stores them like the host's HTTP upload does.
   */
  async upload(file: Blob, fileName: string): Promise<InvokeResult<{ uploadId: string }>> {
    try {
      const text = await file.text();
      return (await this.bridge.invoke(DESKTOP_UPLOAD_CHANNEL, { fileName, text })) as InvokeResult<{ uploadId: string }>;
    } catch (error) {
      return fail('transport', error instanceof Error ? error.message : String(error));
    }
  }

  subscribe: Backend['subscribe'] = (event, handler) => this.hub.subscribe(event, handler);
  onBatch: Backend['onBatch'] = (handler) => this.hub.onBatch(handler);
  onTransportState(handler: (state: TransportState) => void): () => void {
    return this.hub.onTransportState(handler);
  }

  close(): void {
    this.unlisten();
    this.hub.clear();
  }
}

/** The preload bridge when running inside Electron, else undefined (browser → use the WebSocket client). */
export function findBridge(scope: object = globalThis): BridgeApi | undefined {
  const candidate = (scope as Record<string, unknown>)[BRIDGE_KEY];
  return candidate && typeof candidate === 'object' ? (candidate as BridgeApi) : undefined;
}
