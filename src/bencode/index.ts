export type { BencodeValue, BencodeList, BencodeDict, ByteSpan } from './bencode-value.js';
export { BencodeError } from './bencode-error.js';
export type { BencodeErrorDetail } from './bencode-error.js';
export {
  decodeBencode,
  decodeBencodeWithSpans,
  DEFAULT_MAX_DEPTH,
  latin1,
} from './decode-bencode.js';
export type { DecodeBencodeOptions, DecodedWithSpans } from './decode-bencode.js';
export { encodeBencode } from './encode-bencode.js';
