/**
 * The one error type of a `Connection`: everything the socket layer can report, with its data in
 * `detail`. The TCP edge maps Node's error codes onto these kinds.
 */
export type ConnectionErrorDetail =
  /** No connection within `ms`. */
  | { readonly kind: 'connect-timeout'; readonly ms: number }
  /** Nobody listens at the address (ECONNREFUSED). */
  | { readonly kind: 'connect-refused' }
  /** No route to the host, or the name did not resolve (EHOSTUNREACH, ENETUNREACH, ENOTFOUND, …). */
  | { readonly kind: 'unreachable'; readonly code: string }
  /** The peer reset the connection, or wrote to a closed one (ECONNRESET, EPIPE). */
  | { readonly kind: 'reset'; readonly code: string }
  /** The operating system gave up on an established connection (ETIMEDOUT). */
  | { readonly kind: 'timeout' }
  /** The connection Observable completed before it produced a connection. */
  | { readonly kind: 'no-connection' }
  /** Any other failure, with the system code when there is one. */
  | { readonly kind: 'io'; readonly code: string; readonly message: string };

export type ConnectionErrorKind = ConnectionErrorDetail['kind'];

export class ConnectionError extends Error {
  override readonly name = 'ConnectionError';

  constructor(readonly detail: ConnectionErrorDetail) {
    super(describe(detail));
  }
}

function describe(d: ConnectionErrorDetail): string {
  switch (d.kind) {
    case 'connect-timeout':
      return `no connection within ${d.ms} ms`;
    case 'connect-refused':
      return 'connection refused';
    case 'unreachable':
      return `peer unreachable (${d.code})`;
    case 'reset':
      return `connection reset (${d.code})`;
    case 'timeout':
      return 'connection timed out';
    case 'no-connection':
      return 'the connection source ended without a connection';
    case 'io':
      return `${d.code}: ${d.message}`;
  }
}
