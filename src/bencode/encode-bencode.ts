import { BencodeError } from './bencode-error.js';
import type { BencodeValue } from './bencode-value.js';

/**
 * Canonical bencode (BEP 3): dictionary keys sorted by their raw bytes, integers without leading
 * zeros. Keys are strings of char codes 0–255 (latin1, as `decodeBencode` produces them); a key
 * with a higher char code, or a number that is not a safe integer, throws a `BencodeError`.
 * Large byte strings are copied once, into the single output buffer.
 */
export function encodeBencode(value: BencodeValue): Uint8Array {
  const writer = new ChunkWriter();
  write(writer, value, '');
  return writer.concat();
}

const ASCII = new TextEncoder();

class ChunkWriter {
  private readonly chunks: Uint8Array[] = [];
  private size = 0;

  push(chunk: Uint8Array): void {
    this.chunks.push(chunk);
    this.size += chunk.length;
  }

  text(text: string): void {
    this.push(ASCII.encode(text));
  }

  concat(): Uint8Array {
    const out = new Uint8Array(this.size);
    let at = 0;
    for (const chunk of this.chunks) {
      out.set(chunk, at);
      at += chunk.length;
    }
    return out;
  }
}

function write(writer: ChunkWriter, value: BencodeValue, path: string): void {
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) {
      throw new BencodeError({ kind: 'unencodable-number', path, value });
    }
    // `Object.is` keeps -0 from printing as `i-0e`.
    writer.text(`i${Object.is(value, -0) ? 0 : value}e`);
  } else if (value instanceof Uint8Array) {
    writer.text(`${value.length}:`);
    writer.push(value);
  } else if (Array.isArray(value)) {
    writer.text('l');
    value.forEach((item: BencodeValue, index: number) => write(writer, item, `${path}[${index}]`));
    writer.text('e');
  } else if (value instanceof Map) {
    writer.text('d');
    // Char codes are bytes, so code-unit order is raw byte order.
    const keys = [...value.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    for (const key of keys) {
      writer.push(latin1Bytes(key, path));
      const item = value.get(key);
      if (item === undefined) throw new BencodeError({ kind: 'unencodable-value', path: `${path}.${key}` });
      write(writer, item, `${path}.${key}`);
    }
    writer.text('e');
  } else {
    throw new BencodeError({ kind: 'unencodable-value', path });
  }
}

function latin1Bytes(key: string, path: string): Uint8Array {
  const prefix = `${key.length}:`;
  const out = new Uint8Array(prefix.length + key.length);
  for (let i = 0; i < prefix.length; i += 1) out[i] = prefix.charCodeAt(i);
  for (let i = 0; i < key.length; i += 1) {
    const code = key.charCodeAt(i);
    if (code > 0xff) throw new BencodeError({ kind: 'key-not-latin1', path, key });
    out[prefix.length + i] = code;
  }
  return out;
}
