/**
 * The one place that imports rxjs-marbles. Specs import `marbles` from here:
 *
 *   it('retries', marbles((m) => {
 *     const source = m.cold('--#');
 *     m.expect(source.pipe(op)).toBeObservable('--#');
 *     m.expect(source).toHaveSubscriptions('^-!');
 *   }));
 *
 * Assertions go through vitest's `expect`, so a failing marble shows a vitest diff.
 */
import { configure } from 'rxjs-marbles';
import type { Context } from 'rxjs-marbles';
import { expect } from 'vitest';

export const { marbles } = configure({
  assert: (value: unknown, message: string) => {
    expect(value, message).toBeTruthy();
  },
  assertDeepEqual: (actual: unknown, expected: unknown) => {
    expect(actual).toEqual(expected);
  },
  frameworkMatcher: true,
});

export type MarbleContext = Context;
