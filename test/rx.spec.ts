import { describe, expect, it } from 'vitest';
import * as rxjs from 'rxjs';
import * as rx from '../src/rx.js';

describe('src/rx.ts', () => {
  it('exports the very objects of rxjs, so both mix freely', () => {
    const names = Object.keys(rx);
    expect(names.length).toBeGreaterThan(30);
    for (const name of names) {
      expect(Reflect.get(rx, name), name).toBe(Reflect.get(rxjs, name));
    }
    expect(rx.of(1)).toBeInstanceOf(rxjs.Observable);
  });
});
