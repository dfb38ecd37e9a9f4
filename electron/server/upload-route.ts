import type { IncomingMessage, ServerResponse } from 'node:http';
import { ContractFailure } from '../../shared/contract/result';

/** What the upload route needs from the core (electron/core/app/uploads.ts). */
export interface UploadReceiver {
  receive(source: NodeJS.ReadableStream, opts: { fileName: string; maxBytes: number; signal?: AbortSignal }): Promise<{ uploadId: string; bytes: number }>;
}

const json = (res: ServerResponse, status: number, body: unknown, extra: Record<string, string> = {}): void => {
  if (res.headersSent) return;
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...extra }).end(JSON.stringify(body));
};

const STATUS: Record<string, number> = { invalid_payload: 413, unavailable: 503, not_found: 404, forbidden: 403 };

/**
 * `POST /upload?name=<file name>`: the body streams straight into the core's upload store (never
 * held whole in memory) and the answer is `{uploadId, bytes}` for a following `candles.import`.
 * The caller has already checked Host, Origin and the session. A client that goes away mid-way
 * aborts the write.
 */
export async function handleUpload(req: IncomingMessage, res: ServerResponse, url: URL, receiver: UploadReceiver | undefined, maxBytes: number): Promise<void> {
  if (!receiver) return json(res, 503, { error: { code: 'unavailable', message: 'this host does not take uploads' } });
  const fileName = url.searchParams.get('name')?.trim();
  if (!fileName) return json(res, 400, { error: { code: 'invalid_payload', message: 'name: give the file name as ?name=' } });
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (Number.isFinite(declared) && declared > maxBytes) {
    // Refuse before reading: the connection closes instead of draining a body we will not keep.
    return json(res, 413, { error: { code: 'invalid_payload', message: `the file is larger than the ${Math.round(maxBytes / 1024 / 1024)} MB upload limit` } }, { connection: 'close' });
  }
  const aborted = new AbortController();
  const onClose = (): void => {
    if (!res.writableEnded) aborted.abort();
  };
  res.once('close', onClose);
  try {
    const receipt = await receiver.receive(req, { fileName, maxBytes, signal: aborted.signal });
    json(res, 200, receipt);
  } catch (error) {
    const code = error instanceof ContractFailure ? error.code : 'internal';
    const message = error instanceof ContractFailure ? error.message : 'the upload failed; see the host log';
    // What was left unread is not drained: close the connection once the answer is out.
    json(res, STATUS[code] ?? 500, { error: { code, message } }, { connection: 'close' });
    if (!(error instanceof ContractFailure)) throw error;
  } finally {
    res.off('close', onClose);
  }
}
