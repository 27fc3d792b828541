/**
 * Frames a payload as one unmasked WebSocket text frame (RFC 6455 §5.2): FIN + opcode 1, then the
 * 7-bit, 16-bit or 64-bit length. Server-to-client frames are never masked, so a framed Buffer can be
 * written as-is to every socket that should receive it: no per-subscriber header or copy.
 */
export function frameText(payload: Buffer): Buffer {
  const length = payload.length;
  const headerLength = length < 126 ? 2 : length < 65_536 ? 4 : 10;
  const frame = Buffer.allocUnsafe(headerLength + length);
  frame[0] = 0x81;
  if (length < 126) {
    frame[1] = length;
  } else if (length < 65_536) {
    frame[1] = 126;
    frame.writeUInt16BE(length, 2);
  } else {
    frame[1] = 127;
    frame.writeUInt32BE(Math.floor(length / 2 ** 32), 2);
    frame.writeUInt32BE(length >>> 0, 6);
  }
  payload.copy(frame, headerLength);
  return frame;
}
