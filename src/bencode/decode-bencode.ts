import { BencodeError } from './bencode-error.js';
import type { BencodeDict, BencodeList, BencodeValue, ByteSpan } from './bencode-value.js';

/**
 * Strict bencode decoder (BEP 3). Iterative (an explicit stack), so hostile nesting can never
 * overflow the call stack; `maxDepth` (default 64) caps the number of open containers.
 *
 * Rejected, each with its own `BencodeError` kind: leading zeros (`i03e`, `03:abc`), `i-0e`,
 * `ie`, strings running past the end, trailing bytes after the top value, nesting deeper than
 * `maxDepth`, duplicate or non-string dictionary keys, unterminated containers and integers
 * outside ±`Number.MAX_SAFE_INTEGER` (never rounded). Unsorted keys are accepted: real torrents
 * have them, and the info hash is taken over the raw bytes anyway.
 *
 * Byte strings are returned as views (`subarray`) into `bytes`, not copies.
 */
export function decodeBencode(bytes: Uint8Array, options?: DecodeBencodeOptions): BencodeValue {
  return decode(bytes, options?.maxDepth ?? DEFAULT_MAX_DEPTH, undefined);
}

export interface DecodeBencodeOptions {
  /** Most containers that may be open at once; default 64. */
  readonly maxDepth?: number;
}

export interface DecodedWithSpans {
  readonly value: BencodeValue;
  /** For a top-level dictionary: each key's value as `[start, end)` in the input. Else empty. */
  readonly spans: ReadonlyMap<string, ByteSpan>;
}

/**
 * Like `decodeBencode`, and also reports where each value of the top-level dictionary lies in the
 * input, so that `bytes.subarray(span.start, span.end)` is the exact raw `info` value.
 */
export function decodeBencodeWithSpans(
  bytes: Uint8Array,
  options?: DecodeBencodeOptions,
): DecodedWithSpans {
  const spans = new Map<string, ByteSpan>();
  const value = decode(bytes, options?.maxDepth ?? DEFAULT_MAX_DEPTH, spans);
  return { value, spans };
}

export const DEFAULT_MAX_DEPTH = 64;

const CHAR_0 = 0x30;
const CHAR_9 = 0x39;
const CHAR_COLON = 0x3a;
const CHAR_MINUS = 0x2d;
const CHAR_D = 0x64;
const CHAR_E = 0x65;
const CHAR_I = 0x69;
const CHAR_L = 0x6c;

interface ListFrame {
  readonly kind: 'list';
  readonly start: number;
  readonly items: BencodeValue[];
}

interface DictFrame {
  readonly kind: 'dict';
  readonly start: number;
  readonly entries: Map<string, BencodeValue>;
  key: string | undefined;
  keyOffset: number;
}

type Frame = ListFrame | DictFrame;

function decode(
  bytes: Uint8Array,
  maxDepth: number,
  spans: Map<string, ByteSpan> | undefined,
): BencodeValue {
  const length = bytes.length;
  const stack: Frame[] = [];
  let pos = 0;
  for (;;) {
    const top = stack[stack.length - 1];
    if (pos >= length) {
      if (top !== undefined) {
        throw new BencodeError({ kind: 'unterminated', offset: top.start, container: top.kind });
      }
      throw new BencodeError({ kind: 'unexpected-end', offset: pos });
    }
    const byte = bytes[pos] ?? 0;
    const start = pos;
    let value: BencodeValue;

    if (top !== undefined && top.kind === 'dict' && top.key === undefined && byte !== CHAR_E) {
      if (byte < CHAR_0 || byte > CHAR_9) {
        throw new BencodeError({ kind: 'non-string-key', offset: pos });
      }
      const end = readStringEnd(bytes, pos);
      const key = latin1(bytes, end.dataStart, end.dataEnd);
      if (top.entries.has(key)) throw new BencodeError({ kind: 'duplicate-key', offset: pos, key });
      top.key = key;
      top.keyOffset = pos;
      pos = end.dataEnd;
      continue;
    }

    if (byte === CHAR_E) {
      if (top === undefined) throw new BencodeError({ kind: 'unexpected-byte', offset: pos, byte });
      if (top.kind === 'dict' && top.key !== undefined) {
        throw new BencodeError({ kind: 'missing-value', offset: pos, key: top.key });
      }
      stack.pop();
      pos += 1;
      value = top.kind === 'list' ? finishList(top.items) : finishDict(top.entries);
      // The container's span starts at its own opening byte.
      if (!attach(stack, value, top.start, pos, spans)) return finish(bytes, value, pos);
      continue;
    }
    if (byte === CHAR_L || byte === CHAR_D) {
      if (stack.length >= maxDepth) throw new BencodeError({ kind: 'too-deep', offset: pos, maxDepth });
      stack.push(
        byte === CHAR_L
          ? { kind: 'list', start: pos, items: [] }
          : { kind: 'dict', start: pos, entries: new Map(), key: undefined, keyOffset: pos },
      );
      pos += 1;
      continue;
    }
    if (byte === CHAR_I) {
      const parsed = readInteger(bytes, pos);
      value = parsed.value;
      pos = parsed.end;
    } else if (byte >= CHAR_0 && byte <= CHAR_9) {
      const end = readStringEnd(bytes, pos);
      value = bytes.subarray(end.dataStart, end.dataEnd);
      pos = end.dataEnd;
    } else {
      throw new BencodeError({ kind: 'unexpected-byte', offset: pos, byte });
    }
    if (!attach(stack, value, start, pos, spans)) return finish(bytes, value, pos);
  }
}

/** Hands a finished value to its parent; false when it is the top-level value. */
function attach(
  stack: readonly Frame[],
  value: BencodeValue,
  start: number,
  end: number,
  spans: Map<string, ByteSpan> | undefined,
): boolean {
  const parent = stack[stack.length - 1];
  if (parent === undefined) return false;
  if (parent.kind === 'list') {
    parent.items.push(value);
    return true;
  }
  const key = parent.key ?? '';
  parent.entries.set(key, value);
  parent.key = undefined;
  if (spans !== undefined && stack.length === 1) spans.set(key, { start, end });
  return true;
}

function finish(bytes: Uint8Array, value: BencodeValue, pos: number): BencodeValue {
  if (pos !== bytes.length) {
    throw new BencodeError({ kind: 'trailing-bytes', offset: pos, count: bytes.length - pos });
  }
  return value;
}

function finishList(items: BencodeValue[]): BencodeList {
  return items;
}

function finishDict(entries: Map<string, BencodeValue>): BencodeDict {
  return entries;
}

function readInteger(bytes: Uint8Array, start: number): { value: number; end: number } {
  let pos = start + 1;
  const negative = bytes[pos] === CHAR_MINUS;
  if (negative) pos += 1;
  const digitsStart = pos;
  let value = 0;
  let outOfRange = false;
  for (;;) {
    const byte = bytes[pos];
    if (byte === undefined || byte < CHAR_0 || byte > CHAR_9) break;
    if (!outOfRange) {
      value = value * 10 + (byte - CHAR_0);
      outOfRange = value > Number.MAX_SAFE_INTEGER;
    }
    pos += 1;
  }
  const digits = pos - digitsStart;
  if (pos >= bytes.length) throw new BencodeError({ kind: 'unexpected-end', offset: pos });
  const terminator = bytes[pos] ?? 0;
  if (digits === 0) {
    if (terminator === CHAR_E) throw new BencodeError({ kind: 'integer-empty', offset: start });
    throw new BencodeError({ kind: 'unexpected-byte', offset: pos, byte: terminator });
  }
  if (terminator !== CHAR_E) {
    throw new BencodeError({ kind: 'unexpected-byte', offset: pos, byte: terminator });
  }
  if (bytes[digitsStart] === CHAR_0) {
    if (digits > 1) throw new BencodeError({ kind: 'integer-leading-zero', offset: start });
    if (negative) throw new BencodeError({ kind: 'integer-negative-zero', offset: start });
  }
  if (outOfRange) throw new BencodeError({ kind: 'integer-out-of-range', offset: start });
  return { value: negative ? -value : value, end: pos + 1 };
}

/** Parses `<length>:` at `start` and checks the data fits; returns where the data lies. */
function readStringEnd(bytes: Uint8Array, start: number): { dataStart: number; dataEnd: number } {
  let pos = start;
  let length = 0;
  for (;;) {
    const byte = bytes[pos];
    if (byte === undefined || byte < CHAR_0 || byte > CHAR_9) break;
    // Past the input's size the exact value no longer matters: it cannot fit.
    if (length <= bytes.length) length = length * 10 + (byte - CHAR_0);
    pos += 1;
  }
  if (pos >= bytes.length) throw new BencodeError({ kind: 'unexpected-end', offset: pos });
  const separator = bytes[pos] ?? 0;
  if (separator !== CHAR_COLON) {
    throw new BencodeError({ kind: 'unexpected-byte', offset: pos, byte: separator });
  }
  if (bytes[start] === CHAR_0 && pos - start > 1) {
    throw new BencodeError({ kind: 'string-length-leading-zero', offset: start });
  }
  const dataStart = pos + 1;
  const available = bytes.length - dataStart;
  if (length > available) {
    throw new BencodeError({ kind: 'string-out-of-bounds', offset: start, length, available });
  }
  return { dataStart, dataEnd: dataStart + length };
}

const LATIN1_CHUNK = 8192;

/** Bytes → string, one char per byte (lossless); chunked so long keys don't blow the arg limit. */
export function latin1(bytes: Uint8Array, start = 0, end = bytes.length): string {
  if (end - start <= LATIN1_CHUNK) return String.fromCharCode(...bytes.subarray(start, end));
  const parts: string[] = [];
  for (let at = start; at < end; at += LATIN1_CHUNK) {
    parts.push(String.fromCharCode(...bytes.subarray(at, Math.min(end, at + LATIN1_CHUNK))));
  }
  return parts.join('');
}
