/** A minimal ZIP reader (stored and deflated entries) for checking .vsix files without unzip. */
import { readFileSync } from "node:fs";
import { inflateRawSync } from "node:zlib";

export interface ZipEntry {
  name: string;
  size: number;
  read(): Buffer;
}

/** The entries of the ZIP file at `path`, from its central directory. */
export function readZip(path: string): Map<string, ZipEntry> {
  return readZipBuffer(readFileSync(path), path);
}

/** The entries of a ZIP file held in memory (a wheel inside a .vsix). */
export function readZipBuffer(buf: Buffer, path = "<buffer>"): Map<string, ZipEntry> {
  // The end-of-central-directory record is within the last 64 KiB + 22 bytes.
  let eocd = -1;
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 65_557); i--) {
    if (buf.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) {
    throw new Error(`${path}: not a ZIP file (no end of central directory)`);
  }
  const count = buf.readUInt16LE(eocd + 10);
  let offset = buf.readUInt32LE(eocd + 16);
  const entries = new Map<string, ZipEntry>();
  for (let n = 0; n < count; n++) {
    if (buf.readUInt32LE(offset) !== 0x02014b50) {
      throw new Error(`${path}: bad central directory entry at ${offset}`);
    }
    const method = buf.readUInt16LE(offset + 10);
    const compressed = buf.readUInt32LE(offset + 20);
    const size = buf.readUInt32LE(offset + 24);
    const nameLen = buf.readUInt16LE(offset + 28);
    const extraLen = buf.readUInt16LE(offset + 30);
    const commentLen = buf.readUInt16LE(offset + 32);
    const local = buf.readUInt32LE(offset + 42);
    const name = buf.toString("utf8", offset + 46, offset + 46 + nameLen);
    entries.set(name, {
      name,
      size,
      read(): Buffer {
        const start = local + 30 + buf.readUInt16LE(local + 26) + buf.readUInt16LE(local + 28);
        const data = buf.subarray(start, start + compressed);
        if (method === 0) {
          return Buffer.from(data);
        }
        if (method === 8) {
          return inflateRawSync(data);
        }
        throw new Error(`${name}: unsupported compression method ${method}`);
      },
    });
    offset += 46 + nameLen + extraLen + commentLen;
  }
  return entries;
}
