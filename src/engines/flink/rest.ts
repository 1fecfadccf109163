/**
 * A small client of Flink's REST API (v1): job details and plan, per-subtask metrics, resource requirements
 * (in-place rescale on the adaptive scheduler), savepoints, jar upload and run. Calls time out; timeouts,
 * connection errors and 5xx answers are retried with exponential backoff (POSTs only when the request cannot
 * have been processed), then reported as a FlinkRestError.
 */
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';

export class FlinkRestError extends Error {
  constructor(
    message: string,
    readonly status?: number,
    readonly path?: string,
  ) {
    super(message);
    this.name = 'FlinkRestError';
  }
}

export interface RestOptions {
  timeoutMs: number;
  retries: number;
  backoffMs: number;
}

export type JobState =
  | 'INITIALIZING'
  | 'CREATED'
  | 'RUNNING'
  | 'FAILING'
  | 'FAILED'
  | 'CANCELLING'
  | 'CANCELED'
  | 'FINISHED'
  | 'RESTARTING'
  | 'SUSPENDED'
  | 'RECONCILING';

export const TERMINAL_STATES: ReadonlySet<string> = new Set(['FAILED', 'CANCELED', 'FINISHED', 'SUSPENDED']);

export interface IoMetrics {
  'read-records': number;
  'write-records': number;
  'read-records-complete'?: boolean;
  'write-records-complete'?: boolean;
  'accumulated-busy-time': number;
  'accumulated-idle-time': number;
  'accumulated-backpressured-time': number;
}

export interface JobVertexInfo {
  id: string;
  name: string;
  parallelism: number;
  maxParallelism: number;
  status: string;
  'start-time': number;
  tasks: Record<string, number>;
  metrics: IoMetrics;
}

export interface JobDetails {
  jid: string;
  name: string;
  state: JobState;
  'start-time': number;
  now: number;
  timestamps?: Record<string, number>;
  vertices: JobVertexInfo[];
  plan?: JobPlan;
}

export interface JobPlan {
  jid: string;
  name: string;
  nodes: { id: string; parallelism: number; description: string; inputs?: { id: string; ship_strategy: string; exchange: string }[] }[];
}

export interface SubtaskInfo {
  subtask: number;
  status: string;
  attempt: number;
  'start-time': number;
  /** Milliseconds spent in each execution state (CREATED, SCHEDULED, DEPLOYING, INITIALIZING, RUNNING). */
  'status-duration'?: Record<string, number>;
  metrics: IoMetrics;
}

export interface VertexDetails {
  id: string;
  name: string;
  parallelism: number;
  now: number;
  subtasks: SubtaskInfo[];
}

export interface AggregatedMetric {
  id: string;
  min?: number;
  max?: number;
  avg?: number;
  sum?: number;
}

export interface ClusterOverview {
  'flink-version': string;
  'slots-total': number;
  'slots-available': number;
  taskmanagers: number;
  'jobs-running'?: number;
}

/** One entry of REST /taskmanagers. */
export interface TaskManagerInfo {
  /** The resource id (taskmanager.resource-id, else host:port plus a random suffix). */
  id: string;
  slotsNumber: number;
  freeSlots: number;
}

export interface TaskManagerDetails extends TaskManagerInfo {
  /** Slots allocated to jobs; a JobMaster keeps slots it no longer uses until its idle timeout (assignedTasks 0). */
  allocatedSlots?: { jobId: string; assignedTasks?: number }[];
}

export interface ExceptionEntry {
  exceptionName?: string;
  stacktrace?: string;
  /** Epoch ms of the failure. */
  timestamp: number;
  taskName?: string | null;
  endpoint?: string | null;
  taskManagerId?: string | null;
}

export type ResourceRequirements = Record<string, { parallelism: { lowerBound: number; upperBound: number } }>;

export interface JarRunBody {
  entryClass?: string;
  programArgsList?: string[];
  parallelism?: number;
  savepointPath?: string;
  allowNonRestoredState?: boolean;
  flinkConfiguration?: Record<string, string>;
}

export interface AsyncOperationStatus {
  status: { id: 'IN_PROGRESS' | 'COMPLETED' };
  operation?: { location?: string; 'failure-cause'?: { 'class'?: string; 'stack-trace'?: string; 'serialized-throwable'?: string } };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function describeCause(e: unknown): string {
  const err = e as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (err?.name === 'TimeoutError' || err?.name === 'AbortError') return 'timed out';
  return err?.cause?.code ?? err?.cause?.message ?? err?.message ?? String(e);
}

/** A connection that was refused or reset before an answer: the server did not process the request. */
function notProcessed(e: unknown): boolean {
  const code = (e as { cause?: { code?: string } })?.cause?.code;
  return code === 'ECONNREFUSED' || code === 'ECONNRESET' || code === 'EPIPE' || code === 'UND_ERR_SOCKET';
}

export class FlinkRestClient {
  readonly baseUrl: string;
  private readonly o: RestOptions;

  constructor(baseUrl: string, options: Partial<RestOptions> = {}) {
    this.baseUrl = baseUrl.replace(/\/+$/, '');
    this.o = { timeoutMs: options.timeoutMs ?? 10_000, retries: options.retries ?? 4, backoffMs: options.backoffMs ?? 250 };
  }

  /** One REST call with timeout and retries; the parsed JSON body (undefined for an empty body). */
  async request<T>(method: string, path: string, body?: unknown, opts: { retries?: number; timeoutMs?: number } = {}): Promise<T> {
    const idempotent = method !== 'POST';
    const retries = opts.retries ?? this.o.retries;
    let last = '';
    for (let attempt = 0; attempt <= retries; attempt++) {
      if (attempt > 0) await sleep(this.o.backoffMs * 2 ** (attempt - 1));
      let res: Response;
      try {
        const init: RequestInit = { method, signal: AbortSignal.timeout(opts.timeoutMs ?? this.o.timeoutMs) };
        if (body instanceof FormData) init.body = body;
        else if (body !== undefined) {
          init.body = JSON.stringify(body);
          init.headers = { 'Content-Type': 'application/json' };
        }
        res = await fetch(this.baseUrl + path, init);
      } catch (e) {
        last = describeCause(e);
        if (idempotent || notProcessed(e)) continue;
        throw new FlinkRestError(`${method} ${path}: ${last}`, undefined, path);
      }
      const text = await res.text().catch(() => '');
      if (res.ok) return (text ? JSON.parse(text) : undefined) as T;
      const detail = errorText(text);
      if (res.status >= 500) {
        last = `HTTP ${res.status}: ${detail}`;
        if (idempotent || res.status === 503) continue;
        throw new FlinkRestError(`${method} ${path}: ${last}`, res.status, path);
      }
      throw new FlinkRestError(`${method} ${path}: HTTP ${res.status}: ${detail}`, res.status, path);
    }
    throw new FlinkRestError(`${method} ${path}: failed after ${retries + 1} attempts: ${last}`, undefined, path);
  }

  get<T>(path: string, opts?: { retries?: number; timeoutMs?: number }): Promise<T> {
    return this.request<T>('GET', path, undefined, opts);
  }

  overview(opts?: { retries?: number; timeoutMs?: number }): Promise<ClusterOverview> {
    return this.get('/overview', opts);
  }

  async taskManagers(opts?: { retries?: number; timeoutMs?: number }): Promise<TaskManagerInfo[]> {
    return (await this.get<{ taskmanagers: TaskManagerInfo[] }>('/taskmanagers', opts)).taskmanagers;
  }

  /** One TaskManager's details, with the slots allocated to each job (held by its JobMaster, busy or idle). */
  taskManager(id: string, opts?: { retries?: number; timeoutMs?: number }): Promise<TaskManagerDetails> {
    return this.get(`/taskmanagers/${encodeURIComponent(id)}`, opts);
  }

  /** The job's exception history (failures that restarted it), newest first. */
  async exceptions(jobId: string, max = 20): Promise<ExceptionEntry[]> {
    const r = await this.get<{ exceptionHistory?: { entries?: ExceptionEntry[] } }>(`/jobs/${jobId}/exceptions?maxExceptions=${max}`, { retries: 1 });
    return r.exceptionHistory?.entries ?? [];
  }

  async config(): Promise<Record<string, string>> {
    const entries = await this.get<{ key: string; value: string }[]>('/jobmanager/config');
    return Object.fromEntries(entries.map((e) => [e.key, e.value]));
  }

  async jobs(): Promise<{ id: string; status: string }[]> {
    return (await this.get<{ jobs: { id: string; status: string }[] }>('/jobs')).jobs;
  }

  job(jobId: string, opts?: { retries?: number; timeoutMs?: number }): Promise<JobDetails> {
    return this.get(`/jobs/${jobId}`, opts);
  }

  async plan(jobId: string): Promise<JobPlan> {
    return (await this.get<{ plan: JobPlan }>(`/jobs/${jobId}/plan`)).plan;
  }

  vertex(jobId: string, vertexId: string): Promise<VertexDetails> {
    return this.get(`/jobs/${jobId}/vertices/${vertexId}`);
  }

  async subtaskMetricNames(jobId: string, vertexId: string): Promise<string[]> {
    return (await this.get<{ id: string }[]>(`/jobs/${jobId}/vertices/${vertexId}/subtasks/metrics`)).map((m) => m.id);
  }

  /** Metrics aggregated over subtasks; Flink answers nothing if any name is unknown, so ask only for listed names. */
  async subtaskMetrics(jobId: string, vertexId: string, names: readonly string[], agg = 'sum,max,avg,min'): Promise<Record<string, AggregatedMetric>> {
    if (names.length === 0) return {};
    const q = `get=${names.map(encodeURIComponent).join(',')}&agg=${agg}`;
    const list = await this.get<AggregatedMetric[]>(`/jobs/${jobId}/vertices/${vertexId}/subtasks/metrics?${q}`);
    return Object.fromEntries(list.map((m) => [m.id, m]));
  }

  async jobMetrics(jobId: string, names: readonly string[]): Promise<Record<string, number>> {
    const list = await this.get<{ id: string; value: string }[]>(`/jobs/${jobId}/metrics?get=${names.map(encodeURIComponent).join(',')}`);
    return Object.fromEntries(list.map((m) => [m.id, Number(m.value)]));
  }

  resourceRequirements(jobId: string): Promise<ResourceRequirements> {
    return this.get(`/jobs/${jobId}/resource-requirements`);
  }

  async setResourceRequirements(jobId: string, req: ResourceRequirements): Promise<void> {
    await this.request('PUT', `/jobs/${jobId}/resource-requirements`, req);
  }

  async cancel(jobId: string): Promise<void> {
    await this.request('PATCH', `/jobs/${jobId}?mode=cancel`);
  }

  /** Stop with a savepoint; returns the trigger id to poll. */
  async stopWithSavepoint(jobId: string, targetDirectory?: string, drain = false): Promise<string> {
    const body: Record<string, unknown> = { drain };
    if (targetDirectory) body.targetDirectory = targetDirectory;
    const r = await this.request<{ 'request-id': string }>('POST', `/jobs/${jobId}/stop`, body);
    return r['request-id'];
  }

  savepointStatus(jobId: string, triggerId: string): Promise<AsyncOperationStatus> {
    return this.get(`/jobs/${jobId}/savepoints/${triggerId}`);
  }

  /** Uploads a jar (multipart field "jarfile"); returns its jar id. */
  async uploadJar(path: string): Promise<string> {
    const bytes = await readFile(path);
    const form = new FormData();
    form.append('jarfile', new Blob([bytes], { type: 'application/x-java-archive' }), basename(path));
    const r = await this.request<{ filename: string; status: string }>('POST', '/jars/upload', form, { timeoutMs: 60_000 });
    if (r.status !== 'success') throw new FlinkRestError(`jar upload failed: ${JSON.stringify(r)}`, undefined, '/jars/upload');
    return basename(r.filename);
  }

  async runJar(jarId: string, body: JarRunBody): Promise<string> {
    const r = await this.request<{ jobid: string }>('POST', `/jars/${jarId}/run`, body, { timeoutMs: 120_000 });
    return r.jobid;
  }

  async deleteJar(jarId: string): Promise<void> {
    await this.request('DELETE', `/jars/${jarId}`);
  }
}

function errorText(text: string): string {
  try {
    const j = JSON.parse(text) as { errors?: string[] };
    if (Array.isArray(j.errors) && j.errors.length > 0) {
      // Flink puts a Java stack trace in errors[]: keep its first lines and any "Caused by" lines.
      const lines = j.errors.join('\n').split('\n');
      const keep = [lines[0], ...lines.filter((l) => l.startsWith('Caused by'))].filter(Boolean);
      return keep.join(' | ').slice(0, 2000);
    }
  } catch {
    // not JSON
  }
  return text.slice(0, 500);
}
