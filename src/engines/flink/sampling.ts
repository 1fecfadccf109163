/**
 * Samples of a running Flink job over REST: the job, each operator's vertex per subtask (accumulated counters),
 * the sources' lag gauges (found by name once). metrics.ts differences two of them into a snapshot.
 */
import type { JobSample, SourceGauges, VertexSample } from './metrics.js';
import type { FlinkRestClient, JobDetails, VertexDetails } from './rest.js';

function num(x: unknown): number {
  const v = typeof x === 'number' ? x : Number(x);
  return Number.isFinite(v) ? v : NaN;
}

export function vertexSample(d: VertexDetails, status: string): VertexSample {
  return {
    vertexId: d.id,
    parallelism: d.parallelism,
    status,
    subtasks: d.subtasks.map((s) => ({
      index: s.subtask,
      attempt: s.attempt,
      startTime: s['start-time'],
      status: s.status,
      complete: s.metrics['read-records-complete'] !== false && s.metrics['write-records-complete'] !== false,
      busyMs: num(s.metrics['accumulated-busy-time']),
      idleMs: num(s.metrics['accumulated-idle-time']),
      backPressuredMs: num(s.metrics['accumulated-backpressured-time']),
      recordsIn: num(s.metrics['read-records']),
      recordsOut: num(s.metrics['write-records']),
    })),
  };
}

/** Names of a source vertex's gauges (operator-scoped, e.g. "Source__source.lagRecords"), discovered by suffix. */
export interface GaugeNames {
  lag?: string;
  targetRate?: string;
}

export function findGaugeNames(names: readonly string[]): GaugeNames {
  return {
    lag: names.find((n) => n.endsWith('.lagRecords')),
    targetRate: names.find((n) => n.endsWith('.targetRate')),
  };
}

/** Takes one sample: the job, each operator's vertex (per subtask), the sources' lag gauges. */
export async function takeSample(
  client: FlinkRestClient,
  jobId: string,
  vertexOf: Readonly<Record<string, string>>,
  sources: readonly string[],
  gauges: Map<string, GaugeNames>,
): Promise<JobSample> {
  const details: JobDetails = await client.job(jobId);
  const statusOf = new Map(details.vertices.map((v) => [v.id, v.status]));
  const ops = Object.keys(vertexOf);
  const at = Date.now();
  const per = await Promise.all(ops.map((op) => client.vertex(jobId, vertexOf[op] as string)));
  const vertices: Record<string, VertexSample> = {};
  ops.forEach((op, i) => {
    const d = per[i] as VertexDetails;
    vertices[op] = vertexSample(d, statusOf.get(d.id) ?? 'UNKNOWN');
  });
  const srcs: Record<string, SourceGauges> = {};
  await Promise.all(
    sources.map(async (op) => {
      const vid = vertexOf[op] as string;
      let g = gauges.get(op);
      if (!g?.lag) {
        g = findGaugeNames(await client.subtaskMetricNames(jobId, vid).catch(() => []));
        if (g.lag) gauges.set(op, g);
      }
      const names = [g.lag, g.targetRate].filter((n): n is string => !!n);
      const m = await client.subtaskMetrics(jobId, vid, names, 'sum').catch(() => ({}) as Record<string, { sum?: number }>);
      srcs[op] = { lagRecords: g.lag ? m[g.lag]?.sum : undefined, targetRate: g.targetRate ? m[g.targetRate]?.sum : undefined };
    }),
  );
  return { at, jobId, state: details.state, vertices, sources: srcs };
}

