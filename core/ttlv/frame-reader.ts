/**
 * Streaming frame reader for TTLV over a byte stream (KMIP over TLS, KMIP 1.4 §10 / 2.1 §10).
 *
 * Reassembles frames across chunks and splits several frames out of one chunk. The outer
 * header is checked as soon as its 8 bytes arrive: a wrong tag prefix, a non-Structure message
 * or a length over the limit is refused before a single byte of the body is buffered.
 */
import { KryptonError } from '../errors.js';

export const DEFAULT_MAX_FRAME_BYTES = 1024 * 1024;

export interface FrameReaderOptions {
  /** Largest frame accepted, header included. Default 1 MiB. */
  maxFrameBytes?: number;
}

export class TtlvFrameReader {
  readonly maxFrameBytes: number;
  private chunks: Buffer[] = [];
  private buffered = 0;
  /** Total length of the frame being assembled, or -1 until its header has arrived. */
  private frameLength = -1;
  /** Bytes consumed before the current frame: lets errors name an offset in the stream. */
  private streamOffset = 0;
  /** A header refused after frames completed in the same chunk (those are returned first). */
  private failure: Error | undefined;

  constructor(options: FrameReaderOptions = {}) {
    this.maxFrameBytes = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
  }

  /** Bytes received but not yet returned as a frame. */
  get pendingBytes(): number {
    return this.buffered;
  }

  /** True when a frame has begun but is not complete (an idle deadline should apply). */
  get inFrame(): boolean {
    return this.buffered > 0;
  }

  /**
   * Set when a bad header followed complete frames of the same chunk: the frames were returned,
   * this error is thrown by the next push. The stream is unusable either way.
   */
  get failed(): Error | undefined {
    return this.failure;
  }

  /** Feeds a chunk; returns every frame it completes, in order. Throws a KryptonError on a bad header. */
  push(chunk: Uint8Array): Buffer[] {
    if (this.failure) throw this.failure;
    if (chunk.length === 0) return [];
    const data = Buffer.isBuffer(chunk)
      ? chunk
      : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    this.chunks.push(data);
    this.buffered += data.length;
    const frames: Buffer[] = [];
    for (;;) {
      if (this.frameLength < 0) {
        if (this.buffered < 8) break;
        try {
          this.frameLength = this.readHeader();
        } catch (err) {
          // Frames before the bad header were complete and well-framed: hand them out first.
          if (frames.length === 0) throw err;
          this.failure = err as Error;
          break;
        }
      }
      if (this.buffered < this.frameLength) break;
      frames.push(this.take(this.frameLength));
      this.streamOffset += this.frameLength;
      this.frameLength = -1;
    }
    return frames;
  }

  private readHeader(): number {
    const head = this.peek(8);
    const at = this.streamOffset;
    if (head[0] !== 0x42 && head[0] !== 0x54) {
      throw new KryptonError(
        'KRY_TTLV_BAD_TAG',
        `message tag prefix 0x${head[0]!.toString(16)} at offset ${at}`,
        {
          offset: at,
        },
      );
    }
    if (head[3] !== 0x01) {
      throw new KryptonError('KRY_TTLV_BAD_TYPE', `a message must be a Structure (offset ${at + 3})`, {
        offset: at + 3,
      });
    }
    const length = head.readUInt32BE(4);
    if (length > this.maxFrameBytes - 8) {
      throw new KryptonError(
        'KRY_TTLV_FRAME_TOO_LARGE',
        `${length} bytes announced, limit ${this.maxFrameBytes}`,
        {
          offset: at + 4,
        },
      );
    }
    if (length % 8 !== 0) {
      throw new KryptonError('KRY_TTLV_BAD_LENGTH', `message length ${length} is not a multiple of 8`, {
        offset: at + 4,
      });
    }
    return 8 + length;
  }

  private peek(n: number): Buffer {
    const first = this.chunks[0]!;
    if (first.length >= n) return first;
    const merged = Buffer.concat(this.chunks);
    this.chunks = [merged];
    return merged;
  }

  private take(n: number): Buffer {
    const first = this.chunks[0]!;
    let frame: Buffer;
    if (first.length >= n) {
      frame = first.subarray(0, n);
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
    } else {
      frame = Buffer.allocUnsafe(n);
      let filled = 0;
      while (filled < n) {
        const c = this.chunks[0]!;
        const want = n - filled;
        if (c.length <= want) {
          c.copy(frame, filled);
          filled += c.length;
          this.chunks.shift();
        } else {
          c.copy(frame, filled, 0, want);
          this.chunks[0] = c.subarray(want);
          filled += want;
        }
      }
    }
    this.buffered -= n;
    return frame;
  }

  /** Drops everything buffered (on connection close). */
  reset(): void {
    this.chunks = [];
    this.buffered = 0;
    this.frameLength = -1;
  }
}
