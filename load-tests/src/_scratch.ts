import { runStep } from './load.js';
import { targetByName } from './targets/index.js';

const names = (process.env.T ?? 'tandem-reference').split(',');
for (let i = 0; i < Number(process.env.N ?? 3); i++)
  for (const name of names) {
    const r = await runStep(targetByName(name), {
      label: 'X',
      docs: Number(process.env.D ?? 1),
      editorsPerDoc: Number(process.env.E ?? 50),
      ratePerEditor: Number(process.env.R ?? 8.16),
      warmupMs: 1000,
      durationMs: Number(process.env.MS ?? 3000),
    });
    const { latencyMs: l } = r;
    console.log(
      name,
      'committed',
      r.committedPerSec.toFixed(0),
      'p50',
      l.p50.toFixed(2),
      'p99',
      l.p99.toFixed(1),
      'max',
      l.max.toFixed(1),
      'srv',
      ((r.serverCpuS / r.windowS) * 100).toFixed(0),
      'gen',
      r.generatorCpuPct.toFixed(0),
      'other',
      r.otherCpuPct.toFixed(0),
      'loop p99',
      r.generatorLoopDelayP99Ms.toFixed(1),
    );
  }
