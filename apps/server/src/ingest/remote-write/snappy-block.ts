import { uncompressSync } from "snappy";
import { BodyTooLargeError, HttpError } from "../read-body";

/** A varint past 5 bytes cannot be a 32-bit length: the snappy block header is malformed. */
const MAX_LENGTH_VARINT_BYTES = 5;

/**
 * The uncompressed length a snappy block announces in its header (a little-endian base-128 varint,
 * https://github.com/google/snappy/blob/main/format_description.txt), or null when the header is
 * cut or longer than a 32-bit length.
 */
export function snappyUncompressedLength(block: Uint8Array): number | null {
  let length = 0;
  for (let i = 0; i < MAX_LENGTH_VARINT_BYTES && i < block.length; i++) {
    const byte = block[i]!;
    length += (byte & 0x7f) * 2 ** (7 * i);
    if ((byte & 0x80) === 0) return length <= 0xffff_ffff ? length : null;
  }
  return null;
}

/**
 * Decompresses a remote_write body (snappy *block* format, not the framed stream format). The length
 * in the header is checked against `maxBytes` before anything is allocated, so a 100-byte body that
 * claims 4 GiB costs nothing; the decoder then refuses a block whose content does not match its header.
 * Throws HttpError: 413 over the limit (naming it), 400 for a corrupt block.
 */
export function decompressSnappyBlock(block: Buffer, maxBytes: number): Buffer {
  const length = snappyUncompressedLength(block);
  if (length === null) throw new HttpError(400, "request body is not valid snappy (block format): bad length header", { field: "body" });
  if (length > maxBytes) throw new BodyTooLargeError(maxBytes, `decompresses to ${length} bytes`);
  try {
    return uncompressSync(block, { asBuffer: true }) as Buffer;
  } catch (error) {
    throw new HttpError(400, `request body is not valid snappy (block format): ${error instanceof Error ? error.message : String(error)}`, { field: "body" });
  }
}
