/** Why a bencode input was rejected (decode kinds carry the byte offset of the defect). */
export type BencodeErrorDetail =
  | { readonly kind: 'unexpected-end'; readonly offset: number }
  | { readonly kind: 'unexpected-byte'; readonly offset: number; readonly byte: number }
  | { readonly kind: 'unterminated'; readonly offset: number; readonly container: 'list' | 'dict' }
  | { readonly kind: 'integer-empty'; readonly offset: number }
  | { readonly kind: 'integer-leading-zero'; readonly offset: number }
  | { readonly kind: 'integer-negative-zero'; readonly offset: number }
  | { readonly kind: 'integer-out-of-range'; readonly offset: number }
  | { readonly kind: 'string-length-leading-zero'; readonly offset: number }
  | {
      readonly kind: 'string-out-of-bounds';
      readonly offset: number;
      readonly length: number;
      readonly available: number;
    }
  | { readonly kind: 'trailing-bytes'; readonly offset: number; readonly count: number }
  | { readonly kind: 'too-deep'; readonly offset: number; readonly maxDepth: number }
  | { readonly kind: 'non-string-key'; readonly offset: number }
  | { readonly kind: 'duplicate-key'; readonly offset: number; readonly key: string }
  | { readonly kind: 'missing-value'; readonly offset: number; readonly key: string }
  // Encoding errors: the value cannot be written; `path` locates it (keys and list indexes).
  | { readonly kind: 'unencodable-number'; readonly path: string; readonly value: number }
  | { readonly kind: 'key-not-latin1'; readonly path: string; readonly key: string }
  | { readonly kind: 'unencodable-value'; readonly path: string };

function describe(detail: BencodeErrorDetail): string {
  switch (detail.kind) {
    case 'unexpected-end':
      return `bencode: unexpected end of input at byte ${detail.offset}`;
    case 'unexpected-byte':
      return `bencode: unexpected byte 0x${detail.byte.toString(16).padStart(2, '0')} at byte ${detail.offset}`;
    case 'unterminated':
      return `bencode: ${detail.container} starting at byte ${detail.offset} is not terminated`;
    case 'integer-empty':
      return `bencode: integer without digits at byte ${detail.offset}`;
    case 'integer-leading-zero':
      return `bencode: integer with a leading zero at byte ${detail.offset}`;
    case 'integer-negative-zero':
      return `bencode: negative zero (i-0e) at byte ${detail.offset}`;
    case 'integer-out-of-range':
      return `bencode: integer at byte ${detail.offset} is outside the safe integer range`;
    case 'string-length-leading-zero':
      return `bencode: string length with a leading zero at byte ${detail.offset}`;
    case 'string-out-of-bounds':
      return `bencode: string at byte ${detail.offset} claims ${detail.length} bytes, only ${detail.available} left`;
    case 'trailing-bytes':
      return `bencode: ${detail.count} trailing bytes after the value at byte ${detail.offset}`;
    case 'too-deep':
      return `bencode: nesting deeper than ${detail.maxDepth} at byte ${detail.offset}`;
    case 'non-string-key':
      return `bencode: dictionary key at byte ${detail.offset} is not a string`;
    case 'duplicate-key':
      return `bencode: duplicate dictionary key ${JSON.stringify(detail.key)} at byte ${detail.offset}`;
    case 'missing-value':
      return `bencode: dictionary key ${JSON.stringify(detail.key)} has no value (byte ${detail.offset})`;
    case 'unencodable-number':
      return `bencode: cannot encode ${detail.value} at ${detail.path || '<root>'}: not a safe integer`;
    case 'key-not-latin1':
      return `bencode: key ${JSON.stringify(detail.key)} at ${detail.path || '<root>'} has chars above 0xFF`;
    case 'unencodable-value':
      return `bencode: value at ${detail.path || '<root>'} is not a number, bytes, array or Map`;
  }
}

export class BencodeError extends Error {
  override readonly name = 'BencodeError';

  constructor(readonly detail: BencodeErrorDetail) {
    super(describe(detail));
  }
}
