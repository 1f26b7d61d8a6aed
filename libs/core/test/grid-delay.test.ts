import { gridDelayMs } from '@tandem/core';
import { describe, expect, it } from 'vitest';

describe('gridDelayMs', () => {
  it('waits at least the delay, until the next multiple of the step', () => {
    expect(gridDelayMs(1000, 500, 10_100)).toBe(1400);
    expect(gridDelayMs(1000, 500, 10_000)).toBe(1000);
    expect(gridDelayMs(0, 500, 10_001)).toBe(499);
  });

  it('gives timers set at different moments of one step the same instant', () => {
    const due = [10_010, 10_200, 10_499].map((now) => now + gridDelayMs(3000, 500, now));
    expect(new Set(due)).toEqual(new Set([13_500]));
  });

  it('leaves the delay as it is without a step', () => {
    expect(gridDelayMs(250, 0, 10_123)).toBe(250);
  });
});
