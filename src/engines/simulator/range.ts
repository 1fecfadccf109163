/**
 * Where the simulator extrapolates its profile: the configurations and rates an experiment drove it to, against
 * the range the profile's real measurements covered (profile.ts MeasuredRange). One notice per term, naming it and
 * how far: "exchange: 128 channels, measured up to 32". A built-in profile (`linear`) was never measured: no notice.
 */
import type { JobGraph } from '../../core/job.js';
import type { Parallelism } from '../../core/parallelism.js';
import { channels } from './physics.js';
import { profileProvenance, type ProfileProvenance } from './profile.js';

export interface DrivenPoint {
  parallelism: Parallelism;
  /** Total source rate, records/s. */
  rate: number;
}

export interface Extrapolation {
  /** The term extrapolated: parallelism, exchange, channel rate, total rate, cores, load. */
  term: string;
  /** One line: "exchange: 128 channels, measured up to 32". */
  text: string;
}

const fmt = (x: number): string => (x >= 100 ? Math.round(x).toLocaleString('en-US') : Number(x.toPrecision(3)).toString());

/**
 * Notices for a job driven at `points` under a profile whose measurements covered `prov.range`, on a machine of
 * `cores` (the profile's term; null = unbounded).
 */
export function extrapolations(job: JobGraph, points: readonly DrivenPoint[], prov: ProfileProvenance, cores: number | null): Extrapolation[] {
  const out: Extrapolation[] = [];
  const r = prov.range;
  if (r) {
    let p = { value: 0, op: '' };
    let ch = { value: 0, edge: '' };
    let rate = 0;
    let lo = Infinity;
    let hi = 0;
    const load = job.loadFactors();
    for (const pt of points) {
      rate = Math.max(rate, pt.rate);
      for (const op of job.operators()) {
        const n = pt.parallelism[op.id] ?? 1;
        if (n > p.value) p = { value: n, op: op.id };
      }
      for (const e of job.edges()) {
        const pu = pt.parallelism[e.from] ?? 1;
        const c = channels(e.ship, pu, pt.parallelism[e.to] ?? 1);
        if (c > ch.value) ch = { value: c, edge: `${e.from}->${e.to}` };
        const from = job.operator(e.from);
        const out = pt.rate * (load[e.from] ?? 0) * from.selectivity * e.share;
        if (!(out > 0)) continue;
        const perChannel = e.ship === 'broadcast' ? out / pu : out / (pu * c);
        lo = Math.min(lo, perChannel);
        hi = Math.max(hi, perChannel);
      }
    }
    if (p.value > r.parallelism) out.push({ term: 'parallelism', text: `parallelism: ${p.value} instances (${p.op}), measured up to ${r.parallelism}` });
    if (ch.value > r.channels) out.push({ term: 'exchange', text: `exchange: ${ch.value} channels (${ch.edge}), measured up to ${r.channels}` });
    if (Number.isFinite(lo) && lo < r.channelRate.min) out.push({ term: 'channel rate', text: `channel rate: ${fmt(lo)} records/s per channel, measured down to ${fmt(r.channelRate.min)}` });
    if (hi > r.channelRate.max) out.push({ term: 'channel rate', text: `channel rate: ${fmt(hi)} records/s per channel, measured up to ${fmt(r.channelRate.max)}` });
    if (rate > r.totalRate) out.push({ term: 'total rate', text: `total rate: ${fmt(rate)} records/s, measured up to ${fmt(r.totalRate)}` });
    if (cores === null) out.push({ term: 'cores', text: `cores: unbounded, measured on ${r.cores}` });
    else if (cores !== r.cores) out.push({ term: 'cores', text: `cores: ${fmt(cores)}, measured on ${r.cores}${prov.derivedFrom ? ` (derived from ${prov.derivedFrom})` : ''}` });
  }
  if (prov.loaded) out.push({ term: 'load', text: `profile measured on a loaded machine${prov.loadAverage !== null ? ` (load average ${prov.loadAverage})` : ''}` });
  return out;
}

/** The notices of an experiment on the simulator with profile `name` (see extrapolations). */
export function profileExtrapolations(name: string, job: JobGraph, points: readonly DrivenPoint[], cores: number | null, dir?: string): Extrapolation[] {
  return extrapolations(job, points, profileProvenance(name, dir), cores);
}
