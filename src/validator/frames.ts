// Length-prefixed frames on the pipes between the host and the validator process: 4 bytes (big-endian
// length), then the payload. The host reads the validator's side with a small maximum, so that whatever
// the validator writes on its stdout (it can write to the pipe directly) never grows the host's memory
// past one frame: a longer frame is refused before it is buffered.
export const FRAME_HEADER_BYTES = 4;

export function encodeFrame(payload: Uint8Array): Buffer {
  const frame = Buffer.allocUnsafe(FRAME_HEADER_BYTES + payload.length);
  frame.writeUInt32BE(payload.length, 0);
  frame.set(payload, FRAME_HEADER_BYTES);
  return frame;
}

export class FrameReader {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private failed = false;

  constructor(
    private readonly maxPayloadBytes: number,
    private readonly onFrame: (payload: Buffer) => void,
    private readonly onTooLarge: (bytes: number) => void,
  ) {}

  push(chunk: Buffer): void {
    if (this.failed) return;
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    while (this.buffered >= FRAME_HEADER_BYTES) {
      const head = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks);
      this.chunks = [head];
      const length = head.readUInt32BE(0);
      if (length > this.maxPayloadBytes) {
        this.failed = true;
        this.chunks = [];
        this.buffered = 0;
        this.onTooLarge(length);
        return;
      }
      if (this.buffered < FRAME_HEADER_BYTES + length) return;
      const payload = head.subarray(FRAME_HEADER_BYTES, FRAME_HEADER_BYTES + length);
      const rest = head.subarray(FRAME_HEADER_BYTES + length);
      this.chunks = rest.length > 0 ? [rest] : [];
      this.buffered = rest.length;
      this.onFrame(payload);
      if (this.failed) return;
    }
  }
}
