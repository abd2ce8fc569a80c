/**
 * Every way one announce to one tracker can fail. The actor turns these into `tracker-error`
 * updates; they never end its stream.
 */
export type TrackerErrorDetail =
  /** The tracker answered and refused (`failure reason`, or a UDP error action). */
  | { readonly kind: 'failure'; readonly reason: string }
  /** The tracker's answer could not be understood. */
  | { readonly kind: 'malformed'; readonly reason: string }
  | { readonly kind: 'http-status'; readonly status: number }
  | { readonly kind: 'response-too-large'; readonly max: number }
  | { readonly kind: 'too-many-redirects'; readonly max: number }
  | { readonly kind: 'bad-redirect'; readonly location: string }
  | { readonly kind: 'timeout'; readonly ms: number }
  | { readonly kind: 'unsupported-url'; readonly url: string }
  /** A socket or DNS error (`code` is Node's, e.g. `ECONNREFUSED`). */
  | { readonly kind: 'network'; readonly code: string; readonly reason: string };

function describe(detail: TrackerErrorDetail): string {
  switch (detail.kind) {
    case 'failure':
      return `tracker: refused: ${detail.reason}`;
    case 'malformed':
      return `tracker: malformed response: ${detail.reason}`;
    case 'http-status':
      return `tracker: HTTP status ${detail.status}`;
    case 'response-too-large':
      return `tracker: response larger than ${detail.max} bytes`;
    case 'too-many-redirects':
      return `tracker: more than ${detail.max} redirects`;
    case 'bad-redirect':
      return `tracker: cannot follow redirect to ${JSON.stringify(detail.location)}`;
    case 'timeout':
      return `tracker: no answer within ${detail.ms} ms`;
    case 'unsupported-url':
      return `tracker: unsupported announce URL ${JSON.stringify(detail.url)}`;
    case 'network':
      return `tracker: network error ${detail.code}: ${detail.reason}`;
  }
}

export class TrackerError extends Error {
  override readonly name = 'TrackerError';

  constructor(readonly detail: TrackerErrorDetail) {
    super(describe(detail));
  }
}

/** Wraps anything thrown by a transport so the actor's updates always carry a `TrackerError`. */
export function toTrackerError(error: unknown): TrackerError {
  if (error instanceof TrackerError) return error;
  if (error instanceof Error) {
    const code = 'code' in error && typeof error.code === 'string' ? error.code : 'EUNKNOWN';
    return new TrackerError({ kind: 'network', code, reason: error.message });
  }
  return new TrackerError({ kind: 'network', code: 'EUNKNOWN', reason: String(error) });
}
