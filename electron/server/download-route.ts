import type { ServerResponse } from 'node:http';
import type { Dispatch } from '../core/app/dispatcher';

/** `/download/<exportId>`: a random id from `candles.export`, nothing else. */
export const DOWNLOAD_PATH = /^\/download\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;

const STATUS: Record<string, number> = { not_found: 404, unavailable: 503, invalid_payload: 400, forbidden: 403 };

interface Chunk {
  text: string;
  nextCursor: number | null;
}

/** A file name for Content-Disposition: ASCII fallback plus the RFC 5987 form. */
function disposition(fileName: string): string {
  const ascii = fileName.replace(/[^A-Za-z0-9._-]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(fileName)}`;
}

/**
 * `GET /download/<exportId>?name=<file name>`: the mirror of `POST /upload`. The page asks for an
 * export over the contract (`candles.export`: series, range, format — never a path), then lets the
 * browser fetch this address, so the file arrives as an ordinary download. The host reads the
 * export chunk by chunk through the same dispatcher as the WebSocket (`candles.exportChunk`) and
 * writes each as it comes, waiting for the socket to drain: memory stays flat whatever the size.
 * The caller has already checked Host, Origin and the session. A client that goes away stops the reading.
 */
export async function handleDownload(res: ServerResponse, url: URL, dispatch: Dispatch): Promise<void> {
  const exportId = DOWNLOAD_PATH.exec(url.pathname)?.[1];
  const name = (url.searchParams.get('name') ?? '').replace(/[\u0000-\u001f\u007f/\\]/g, '').trim().slice(0, 200) || 'candles';
  const aborted = new AbortController();
  const onClose = (): void => {
    if (!res.writableEnded) aborted.abort();
  };
  res.once('close', onClose);
  try {
    let after: number | undefined;
    for (let first = true; ; first = false) {
      const result = await dispatch('candles.exportChunk', { exportId, ...(after !== undefined ? { after } : {}) }, { signal: aborted.signal });
      if (aborted.signal.aborted) return;
      if (!result.ok) {
        // Nothing sent yet: a plain answer the browser shows. Mid-file: cut the connection so the download fails instead of looking complete.
        if (first) {
          res.writeHead(STATUS[result.error.code] ?? 500, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' }).end(result.error.message);
        } else res.destroy();
        return;
      }
      const chunk = result.data as Chunk;
      if (first) {
        res.writeHead(200, {
          'content-type': name.endsWith('.json') ? 'application/json; charset=utf-8' : 'text/csv; charset=utf-8',
          'content-disposition': disposition(name),
          'cache-control': 'no-store',
          'x-content-type-options': 'nosniff',
        });
      }
      if (!res.write(chunk.text)) await new Promise<void>((resolveDrain) => res.once('drain', resolveDrain).once('close', resolveDrain));
      if (chunk.nextCursor === null) return void res.end();
      after = chunk.nextCursor;
    }
  } finally {
    res.off('close', onClose);
  }
}
