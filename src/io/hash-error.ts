/** Every way a hash job can fail. */
export type HashErrorDetail =
  /** The pool was closed before the job finished (or the job arrived after `close()`). */
  | { readonly kind: 'closed' }
  /** A worker thread died while it held the job (a crash, or it could not start). */
  | { readonly kind: 'worker-failed'; readonly reason: string }
  /** The platform hash (`crypto.subtle`) rejected the job. */
  | { readonly kind: 'digest-failed'; readonly reason: string };

function describe(detail: HashErrorDetail): string {
  switch (detail.kind) {
    case 'closed':
      return 'hash pool: closed';
    case 'worker-failed':
      return `hash pool: worker failed: ${detail.reason}`;
    case 'digest-failed':
      return `hash pool: digest failed: ${detail.reason}`;
  }
}

export class HashError extends Error {
  override readonly name = 'HashError';

  constructor(readonly detail: HashErrorDetail) {
    super(describe(detail));
  }
}
