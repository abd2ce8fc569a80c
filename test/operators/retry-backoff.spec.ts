import { describe, it } from 'vitest';
import { marbles } from '../helpers/marbles.js';
import { retryBackoff } from '../../src/operators/retry-backoff.js';

describe('retryBackoff', () => {
  it('resubscribes after growing delays, then passes the last error on', marbles((m) => {
    const source = m.cold('--#');
    const result = source.pipe(
      retryBackoff({ initialDelay: 1, factor: 2, maxDelay: 4, maxAttempts: 3, scheduler: m.scheduler }),
    );
    // subscribe at 0, error at 2; retry at 3 (1), error at 5; retry at 7 (2), error at 9;
    // retry at 13 (4), error at 15 → maxAttempts reached.
    m.expect(result).toBeObservable('---------------#');
    m.expect(source).toHaveSubscriptions([
      '^-!',
      '---^-!',
      '-------^-!',
      '-------------^-!',
    ]);
  }));

  it('caps the delay at maxDelay', marbles((m) => {
    const source = m.cold('#');
    const result = source.pipe(
      retryBackoff({ initialDelay: 2, factor: 10, maxDelay: 3, maxAttempts: 2, scheduler: m.scheduler }),
    );
    m.expect(result).toBeObservable('-----#');
    m.expect(source).toHaveSubscriptions(['(^!)', '--(^!)', '-----(^!)']);
  }));

  it('passes an error that shouldRetry rejects through at once', marbles((m) => {
    const source = m.cold('-a#', { a: 1 }, new Error('fatal'));
    const result = source.pipe(
      retryBackoff({ initialDelay: 5, maxDelay: 5, scheduler: m.scheduler, shouldRetry: () => false }),
    );
    m.expect(result).toBeObservable('-a#', { a: 1 }, new Error('fatal'));
    m.expect(source).toHaveSubscriptions('^-!');
  }));

  it('resets the attempt count when the source emits between failures', marbles((m) => {
    const source = m.cold('a#', { a: 'x' });
    const result = source.pipe(
      retryBackoff({ initialDelay: 2, factor: 10, maxDelay: 1000, maxAttempts: 1, scheduler: m.scheduler }),
    );
    // Each subscription emits before failing, so the single allowed retry is renewed each time
    // and the delay never grows past initialDelay: a value every 3 frames, forever.
    m.expect(result, '^--------!').toBeObservable('a--a--a--', { a: 'x' });
    m.expect(source).toHaveSubscriptions(['^!', '---^!', '------^!']);
  }));

  it('unsubscribes from a pending delay without resubscribing', marbles((m) => {
    const source = m.cold('-#');
    const result = source.pipe(
      retryBackoff({ initialDelay: 10, maxDelay: 10, scheduler: m.scheduler }),
    );
    m.expect(result, '^----!').toBeObservable('------');
    m.expect(source).toHaveSubscriptions(['^!']);
  }));
});
