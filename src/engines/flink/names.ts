/** Flink vertex names <-> harness operator ids. */
import type { JobGraph } from '../../core/job.js';

/**
 * The operator id a Flink vertex name stands for: the jobs name every vertex after its operator id, except that
 * Flink shows a FLIP-27 source as "Source: <id>" and a sink-v2 writer as "<id>: Writer".
 */
export function operatorIdOfVertexName(name: string): string {
  let n = name.trim();
  if (n.startsWith('Source: ')) n = n.slice('Source: '.length);
  for (const suffix of [': Writer', ': Committer']) if (n.endsWith(suffix)) n = n.slice(0, -suffix.length);
  return n.trim();
}

export interface NamedVertex {
  readonly id: string;
  readonly name: string;
}

/** Maps each operator of the job to its vertex id; throws naming the operators without a vertex. */
export function mapVertices(job: JobGraph, vertices: readonly NamedVertex[]): Record<string, string> {
  const byName = new Map<string, string>();
  for (const v of vertices) byName.set(operatorIdOfVertexName(v.name), v.id);
  const out: Record<string, string> = {};
  const missing: string[] = [];
  for (const id of job.operatorIds) {
    const label = job.operator(id).label ?? id;
    const vid = byName.get(label) ?? byName.get(id);
    if (vid === undefined) missing.push(id);
    else out[id] = vid;
  }
  if (missing.length > 0)
    throw new Error(
      `Flink job has no vertex for operator(s) ${missing.join(', ')} of job '${job.name}' (vertices: ${vertices.map((v) => v.name).join(', ')})`,
    );
  return out;
}
