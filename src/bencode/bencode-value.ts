/**
 * The values bencode can carry (BEP 3). Byte strings stay bytes (`Uint8Array`); dictionary keys
 * are decoded as latin1 (one byte → one char code 0–255), which is lossless, so any key round
 * trips and JavaScript string order equals raw byte order.
 */
export type BencodeValue = number | Uint8Array | BencodeList | BencodeDict;
export type BencodeList = readonly BencodeValue[];
export type BencodeDict = ReadonlyMap<string, BencodeValue>;

/** A half-open byte range `[start, end)` of the input. */
export interface ByteSpan {
  readonly start: number;
  readonly end: number;
}
