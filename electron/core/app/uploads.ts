import { randomUUID } from 'node:crypto';
import { createWriteStream, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ContractFailure } from '../../../shared/contract/result';

/** How long an upload waits for its import before it is deleted. */
export const UPLOAD_TTL_MS = 60 * 60 * 1000;
/** Uploads waiting at once; more is refused so a client cannot fill the disk with unused files. */
export const MAX_PENDING_UPLOADS = 16;

export interface UploadReceipt {
  uploadId: string;
  bytes: number;
}

export interface ReceiveOptions {
  /** The name the user picked: shown in messages and used to guess the series, never used on disk. */
  fileName: string;
  maxBytes: number;
  signal?: AbortSignal;
}

export interface StoredUpload {
  uploadId: string;
  /** Where it is on disk: `<uploadsDir>/<uploadId>.json|.csv`. */
  file: string;
  fileName: string;
  bytes: number;
  receivedAt: number;
}

export interface UploadStoreOptions {
  dir: string;
  ttlMs?: number;
  maxPending?: number;
  log?: (level: 'info' | 'warn' | 'error', message: string) => void;
}

// Our own files only: a generated id with one of the extensions we write.
const OWN_FILE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\.(json|csv|part)$/;

/** The user's file name reduced to something safe to show: no folders, no control characters, bounded. */
export function displayFileName(fileName: string): string {
  const base = fileName.replace(/^.*[\\/]/, '').replace(/[\u0000-\u001f\u007f]/g, '').trim();
  return (base || 'upload').slice(0, 200);
}

/** Counts bytes as they pass and fails once there are more than the limit. */
function byteLimit(maxBytes: number, counted: { bytes: number }, fileName: string): Transform {
  return new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      counted.bytes += chunk.length;
      if (counted.bytes > maxBytes) {
        callback(new ContractFailure('invalid_payload', `${fileName} is larger than the ${formatMb(maxBytes)} limit for candle files`));
        return;
      }
      callback(null, chunk);
    },
  });
}

function formatMb(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${Math.round((bytes / 1024 / 1024) * 10) / 10} MB` : `${bytes} bytes`;
}

/** JSON when the content starts (after a BOM and blanks) with `[`, CSV otherwise: the importer picks by extension. */
async function detectedExtension(file: string): Promise<'json' | 'csv'> {
  const handle = await open(file, 'r');
  try {
    const { buffer, bytesRead } = await handle.read(Buffer.alloc(512), 0, 512, 0);
    const head = buffer.subarray(0, bytesRead).toString('utf8').replace(/^\uFEFF/, '').trimStart();
    return head.startsWith('[') ? 'json' : 'csv';
  } finally {
    await handle.close();
  }
}

/**
 * Files sent by a client (the host's HTTP upload, or file contents over IPC) waiting for their
 * import. Each is streamed to `<dir>/<random id>.<json|csv>`: the name and the extension come
 * from us (the extension from the detected format), never from the client, so an upload can never
 * become a module the app would load. An upload is deleted after its import or after an hour.
 */
export class UploadStore {
  private readonly pending = new Map<string, StoredUpload>();
  private readonly ttlMs: number;
  private readonly maxPending: number;
  private readonly sweeper: NodeJS.Timeout;
  private receiving = 0;

  constructor(private readonly options: UploadStoreOptions) {
    this.ttlMs = options.ttlMs ?? UPLOAD_TTL_MS;
    this.maxPending = options.maxPending ?? MAX_PENDING_UPLOADS;
    mkdirSync(options.dir, { recursive: true, mode: 0o700 });
    // Uploads never outlive the process that received them: clear what a crash left behind.
    for (const name of readdirSync(options.dir)) {
      if (OWN_FILE.test(name)) rmSync(join(options.dir, name), { force: true });
    }
    this.sweeper = setInterval(() => this.sweep(), Math.min(60_000, this.ttlMs));
    this.sweeper.unref();
  }

  get dir(): string {
    return this.options.dir;
  }

  /** Streams `source` to disk under a generated name; refuses more than `maxBytes` and stops on `signal`. */
  async receive(source: NodeJS.ReadableStream, opts: ReceiveOptions): Promise<UploadReceipt> {
    const fileName = displayFileName(opts.fileName);
    if (this.pending.size + this.receiving >= this.maxPending) {
      throw new ContractFailure('unavailable', `${this.maxPending} uploads are already waiting for their import; import or wait for them first`);
    }
    const uploadId = randomUUID();
    const part = join(this.options.dir, `${uploadId}.part`);
    const counted = { bytes: 0 };
    this.receiving++;
    try {
      await pipeline(source, byteLimit(opts.maxBytes, counted, fileName), createWriteStream(part, { flags: 'wx', mode: 0o600 }), {
        ...(opts.signal ? { signal: opts.signal } : {}),
      });
      const file = join(this.options.dir, `${uploadId}.${await detectedExtension(part)}`);
      await rename(part, file);
      this.pending.set(uploadId, { uploadId, file, fileName, bytes: counted.bytes, receivedAt: Date.now() });
      return { uploadId, bytes: counted.bytes };
    } catch (error) {
      await rm(part, { force: true });
      if (error instanceof ContractFailure) throw error;
      if (opts.signal?.aborted) throw new ContractFailure('unavailable', `the upload of ${fileName} was cancelled`);
      this.options.log?.('warn', `upload of ${fileName} failed after ${counted.bytes} bytes: ${error instanceof Error ? error.message : String(error)}`);
      throw new ContractFailure('unavailable', `the upload of ${fileName} failed after ${counted.bytes} bytes; try again`);
    } finally {
      this.receiving--;
    }
  }

  /** Hands an upload to its import (once); the caller deletes it with `discard` when done. */
  take(uploadId: string): StoredUpload {
    const upload = this.pending.get(uploadId);
    if (!upload) {
      throw new ContractFailure('not_found', 'that upload is not waiting here: it was imported already, expired after an hour, or the host restarted; upload the file again');
    }
    this.pending.delete(uploadId);
    return upload;
  }

  discard(upload: StoredUpload): void {
    this.pending.delete(upload.uploadId);
    try {
      rmSync(upload.file, { force: true });
    } catch (error) {
      this.options.log?.('error', `cannot delete the upload ${upload.file}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  /** Deletes uploads older than the time-to-live. */
  sweep(now = Date.now()): number {
    let removed = 0;
    for (const upload of [...this.pending.values()]) {
      if (now - upload.receivedAt < this.ttlMs) continue;
      this.discard(upload);
      this.options.log?.('info', `deleted the upload of ${upload.fileName}: not imported within ${Math.round(this.ttlMs / 60_000)} min`);
      removed++;
    }
    return removed;
  }

  close(): void {
    clearInterval(this.sweeper);
    for (const upload of [...this.pending.values()]) this.discard(upload);
  }
}
