/**
 * The range a profile's measurements covered (profile.ts MeasuredRange): the largest parallelism of any operator,
 * the most channels one sender wrote to on any edge, the largest total source rate the real job achieved, the
 * per-channel rates seen (records/s on one channel), and the cores of the machine. An experiment that drives
 * the simulator beyond it says which term it extrapolates and how far (src/engines/simulator/range.ts).
 */
import { channels } from '../engines/simulator/physics.js';
import type { MeasuredRange } from '../engines/simulator/profile.js';
import type { Plan } from './design.js';
import type { Measurement } from './measure.js';

export function measuredRange(plan: Plan, measured: readonly Measurement[], cores: number): MeasuredRange {
  const jobs = new Map(plan.blocks.map((b) => [b.name, b.job]));
  let parallelism = 1;
  let ch = 1;
  let totalRate = 0;
  let lo = Infinity;
  let hi = 0;
  for (const m of measured) {
    const job = jobs.get(m.block);
    if (!job || m.windows === 0) continue;
    for (const p of Object.values(m.parallelism)) parallelism = Math.max(parallelism, p);
    totalRate = Math.max(totalRate, m.achieved);
    for (const e of job.edges()) {
      const pu = m.parallelism[e.from] ?? 1;
      const c = channels(e.ship, pu, m.parallelism[e.to] ?? 1);
      ch = Math.max(ch, c);
      const out = (m.operators[e.from]?.recordsOut ?? 0) * e.share;
      if (!(out > 0)) continue;
      const perChannel = e.ship === 'broadcast' ? out / pu : out / (pu * c);
      lo = Math.min(lo, perChannel);
      hi = Math.max(hi, perChannel);
    }
  }
  const r = (x: number): number => Number(x.toPrecision(4));
  return { parallelism, channels: ch, totalRate: r(totalRate), channelRate: { min: Number.isFinite(lo) ? r(lo) : 0, max: r(hi) }, cores };
}
