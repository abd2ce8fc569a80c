import { describe, it } from 'vitest';
import { map } from 'rxjs';
import { marbles } from './marbles.js';

describe('marble helper', () => {
  it('checks values and subscriptions', marbles((m) => {
    const source = m.cold('-a-b-|', { a: 1, b: 2 });
    m.expect(source.pipe(map((x) => x * 10))).toBeObservable('-a-b-|', { a: 10, b: 20 });
    m.expect(source).toHaveSubscriptions('^----!');
  }));
});
