import type { RequestOf, ResponseOf } from '../../../../shared/contract/channels';
import { findBridge } from '../../../../shared/contract/ipc-client';
import { call } from '../../api/client';

export type ExportRequest = RequestOf<'candles.export'>;
export type PreparedExport = ResponseOf<'candles.export'>;

/** Starts a browser download of `href` under `fileName`. */
function clickDownload(href: string, fileName: string): void {
  const a = document.createElement('a');
  a.href = href;
  a.download = fileName;
  a.rel = 'noopener';
  a.style.display = 'none';
  document.body.appendChild(a);
  a.click();
  a.remove();
}

/**
 * Exports a series (or a range) to a file the user keeps. The core prepares the export (series,
 * range and format: the page never names a path) and answers with an id:
 * - on the headless host the browser downloads `GET /download/<id>`, which the host streams chunk
 *   by chunk from the database (the browser's own download shows its progress);
 * - in the desktop app the chunks come over IPC and the file is handed to Electron as a download,
 *   which asks where to save it (its save dialog).
 * `onChunk` reports the candles read so far in the desktop app.
 */
export async function exportToFile(request: ExportRequest, onChunk?: (rows: number, total: number) => void): Promise<PreparedExport> {
  const prepared = await call('candles.export', request);
  if (!findBridge()) {
    clickDownload(`/download/${prepared.exportId}?name=${encodeURIComponent(prepared.fileName)}`, prepared.fileName);
    return prepared;
  }
  const parts: string[] = [];
  let rows = 0;
  let after: number | undefined;
  for (;;) {
    const chunk = await call('candles.exportChunk', { exportId: prepared.exportId, ...(after !== undefined ? { after } : {}) });
    parts.push(chunk.text);
    rows += chunk.rows;
    onChunk?.(rows, prepared.rows);
    if (chunk.nextCursor === null) break;
    after = chunk.nextCursor;
  }
  const url = URL.createObjectURL(new Blob(parts, { type: prepared.mediaType }));
  clickDownload(url, prepared.fileName);
  // The download has taken the Blob's contents once it started; give it a moment before freeing it.
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
  return prepared;
}
