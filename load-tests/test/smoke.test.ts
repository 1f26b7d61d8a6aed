import { describe, expect, it } from 'vitest';
import { Histogram, LatencyTracker } from '../src/latency.js';
import { runStep } from '../src/load.js';
import { referenceTarget } from '../src/targets/reference-target.js';

describe('load generator', () => {
  it('runs 1 doc × 2 editors × 20 ops/s against the reference server and converges', async () => {
    const r = await runStep(referenceTarget, {
      label: 'smoke',
      docs: 1,
      editorsPerDoc: 2,
      ratePerEditor: 20,
      warmupMs: 0,
      durationMs: 1000,
    });
    expect(r.convergence).toMatch(/^drained/);
    expect(r.converged).toBe(true);
    expect(r.errors).toBe(0);
    expect(r.committedPerSec).toBeGreaterThan(20);
    expect(r.latencyMs.samples).toBeGreaterThan(20);
    for (const v of [r.latencyMs.p50, r.latencyMs.p95, r.latencyMs.p99, r.latencyMs.max]) {
      expect(Number.isFinite(v)).toBe(true);
      expect(v).toBeGreaterThanOrEqual(0);
    }
    expect(r.latencyMs.p50).toBeLessThanOrEqual(r.latencyMs.p99);
    expect(r.serverCpuS).toBeGreaterThan(0);
    expect(r.peakRssMb).toBeGreaterThan(10);
  });
});

describe('latency bookkeeping', () => {
  it('pairs sends and receipts by version in either order, only for sends in the window', () => {
    const t = new LatencyTracker(1, 2);
    t.windowStart = 100;
    t.windowEnd = 200;
    t.receive(0, 1, 130); // before the author's ack
    t.ack(0, 1, [110, 120]); // two composed keystrokes
    t.receive(0, 1, 140);
    t.ack(0, 2, [50]); // sent before the window: not sampled
    t.receive(0, 2, 150);
    t.receive(0, 2, 151);
    expect(t.histogram.count).toBe(4);
    expect(t.histogram.max).toBe(30);
    expect(t.histogram.quantile(0)).toBeCloseTo(10, 1);
    expect(t.unmatched).toBe(0);
  });

  it('keeps quantiles within half a percent', () => {
    const h = new Histogram();
    for (let i = 1; i <= 100_000; i++) h.record(i / 100); // 0.01 ms … 1000 ms
    expect(h.quantile(0.5)).toBeCloseTo(500, -1);
    expect(Math.abs(h.quantile(0.99) - 990) / 990).toBeLessThan(0.005);
    expect(h.quantile(1)).toBe(1000);
    expect(new Histogram().quantile(0.5)).toBeNaN();
  });
});
