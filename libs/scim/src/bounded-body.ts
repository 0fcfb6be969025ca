import type { Readable } from 'node:stream';

/** What was read of a body: its text, and whether the read stopped at the limit. */
export interface BoundedBody {
  text: string;
  /** Bytes received (up to the chunk that crossed the limit). */
  bytes: number;
  /** The body was longer than the limit; `text` holds only what came before it. */
  overLimit: boolean;
}

/** Content-Length as a number, when the server sent a usable one. */
export function declaredLength(value: string | string[] | undefined): number | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  if (text === undefined || !/^\s*\d+\s*$/.test(text)) return undefined;
  return Number(text);
}

/**
 * Reads a response body as UTF-8 text, counting bytes as they arrive and stopping (which closes
 * the connection) as soon as more than `limit` bytes came in: a huge or endless answer costs at
 * most `limit` bytes of buffers, never the whole body.
 */
export async function readBounded(body: Readable, limit: number): Promise<BoundedBody> {
  const chunks: Buffer[] = [];
  let bytes = 0;
  for await (const chunk of body as AsyncIterable<Buffer | string>) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    bytes += buf.length;
    if (bytes > limit) {
      const kept = buf.subarray(0, Math.max(0, buf.length - (bytes - limit)));
      if (kept.length > 0) chunks.push(kept);
      // leaving the loop destroys the stream; the rest of the body is never read
      body.destroy();
      return { text: Buffer.concat(chunks).toString('utf8'), bytes, overLimit: true };
    }
    chunks.push(buf);
  }
  return { text: Buffer.concat(chunks).toString('utf8'), bytes, overLimit: false };
}

/** Drops a body unread without waiting for it (closing the connection if it is still streaming). */
export function discardBody(body: Readable): void {
  body.on('error', () => undefined);
  body.destroy();
}

/** Bytes in a human unit for messages (`32 MiB`, `512 KiB`). */
export function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${+(bytes / (1024 * 1024)).toFixed(1)} MiB`;
  if (bytes >= 1024) return `${+(bytes / 1024).toFixed(1)} KiB`;
  return `${bytes} bytes`;
}
