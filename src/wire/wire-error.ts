/**
 * The one error type of the wire codec. Everything a hostile or broken peer can send, and every
 * out-of-range value handed to an encoder, ends here with its data in `detail`.
 */
export type WireErrorDetail =
  /** A length prefix above the configured maximum; raised before any of the frame is buffered. */
  | { readonly kind: 'frame-too-large'; readonly length: number; readonly max: number }
  /** A payload (bytes after the id) outside what its message id allows. */
  | { readonly kind: 'bad-length'; readonly id: number; readonly length: number; readonly min: number; readonly max: number }
  /** A message id we do not know, when unknown ids are configured as errors. */
  | { readonly kind: 'unknown-id'; readonly id: number }
  /** The handshake does not start with `\x13BitTorrent protocol` (often MSE or plain HTTP). */
  | { readonly kind: 'bad-protocol'; readonly pstrlen: number; readonly protocol: string }
  /** A handshake buffer that is not exactly 68 bytes. */
  | { readonly kind: 'bad-handshake-length'; readonly length: number }
  /** The stream ended inside a frame. */
  | { readonly kind: 'truncated'; readonly buffered: number; readonly expected: number }
  /** A fixed-size field (info hash, peer id, reserved bytes, random input) of the wrong size. */
  | { readonly kind: 'bad-field-size'; readonly field: string; readonly length: number; readonly expected: number }
  /** A number that does not fit its wire field (uint8, uint16 or uint32). */
  | { readonly kind: 'out-of-range'; readonly field: string; readonly value: number; readonly max: number };

export type WireErrorKind = WireErrorDetail['kind'];

export class WireError extends Error {
  override readonly name = 'WireError';

  constructor(readonly detail: WireErrorDetail) {
    super(describe(detail));
  }
}

function describe(d: WireErrorDetail): string {
  switch (d.kind) {
    case 'frame-too-large':
      return `frame of ${d.length} bytes exceeds the maximum of ${d.max}`;
    case 'bad-length':
      return d.min === d.max
        ? `message id ${d.id} has a ${d.length}-byte payload, expected ${d.min}`
        : `message id ${d.id} has a ${d.length}-byte payload, expected ${d.min} to ${d.max}`;
    case 'unknown-id':
      return `unknown message id ${d.id}`;
    case 'bad-protocol':
      return `not a BitTorrent handshake (pstrlen ${d.pstrlen}, protocol ${JSON.stringify(d.protocol)})`;
    case 'bad-handshake-length':
      return `handshake is ${d.length} bytes, expected 68`;
    case 'truncated':
      return `stream ended inside a frame: ${d.buffered} of ${d.expected} bytes received`;
    case 'bad-field-size':
      return `${d.field} is ${d.length} bytes, expected ${d.expected}`;
    case 'out-of-range':
      return `${d.field} ${d.value} is not an integer from 0 to ${d.max}`;
  }
}
