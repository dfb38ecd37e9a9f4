import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import type { BridgeApi } from '../../shared/contract/backend';
import type { EventEnvelope } from '../../shared/contract/events';
import { BRIDGE_KEY, DESKTOP_UPLOAD_CHANNEL, IPC, isInvokeChannelName } from '../../shared/contract/names';
import { fail } from '../../shared/contract/result';

/**
 * Exposes exactly the contract: one `invoke` for the contract's channels (plus the desktop-only
 * `uploads.put`, which hands a picked file's contents to the main process) and one event
 * listener. No raw ipcRenderer, no Node. The main process checks the sender and validates every
 * payload again; the channel check here only keeps arbitrary IPC channels out of reach of the page.
 */
const api: BridgeApi = {
  invoke(channel, payload) {
    if (channel === DESKTOP_UPLOAD_CHANNEL) return ipcRenderer.invoke(IPC.upload, payload);
    if (!isInvokeChannelName(channel)) return Promise.resolve(fail('unknown_channel', `unknown channel "${typeof channel === 'string' ? channel : typeof channel}"`));
    return ipcRenderer.invoke(IPC.invoke, channel, payload);
  },
  onEvents(listener) {
    const handler = (_event: IpcRendererEvent, batch: EventEnvelope[]): void => listener(batch);
    ipcRenderer.on(IPC.events, handler);
    return () => {
      ipcRenderer.removeListener(IPC.events, handler);
    };
  },
};

contextBridge.exposeInMainWorld(BRIDGE_KEY, api);
