/**
 * JobGraph: a stream job's operator DAG on graphology. Immutable after construction; validated on creation so
 * that every error names the operator (or edge) at fault.
 */
import graphology from 'graphology';
import { isOperatorType, isPartitioning, type OperatorType, type Partitioning } from './operators.js';

const { DirectedGraph } = graphology as unknown as { DirectedGraph: typeof import('graphology').DirectedGraph };

export interface WindowSpec {
  /** Window size in seconds. */
  sizeSec: number;
  /** Slide in seconds (equal to size for tumbling windows). */
  slideSec: number;
}

export interface OperatorSpec {
  id: string;
  type: OperatorType;
  /** CPU microseconds per input record for one instance (per emitted record for a source). */
  cost: number;
  /** Output records per input record. */
  selectivity: number;
  /** Partitioning of this operator's input (the default ship strategy of its incoming edges). */
  partitioning: Partitioning;
  /** Share of the input carried by the hottest key, in [0, 1]; only meaningful for hash-partitioned inputs. */
  keySkew: number;
  /** Operator state size in MB (drives rescale downtime). */
  stateSizeMb: number;
  /** Upper bound of this operator's parallelism (Flink's max parallelism / key groups). */
  maxParallelism: number;
  /** Share of the job's total source rate this source emits (sources only; shares are normalised). */
  rateShare?: number;
  /** Window shape for window operators. */
  window?: WindowSpec;
  /** Free-form label for engines that map names (Flink vertex name, Timely operator name). */
  label?: string;
}

export interface EdgeSpec {
  from: string;
  to: string;
  /** Ship strategy; defaults to the target operator's input partitioning. */
  ship?: Partitioning;
  /** Share of the upstream output sent over this edge (1 = every record; a demux sets less). Default 1. */
  share?: number;
}

export interface JobSpec {
  name: string;
  operators: OperatorSpecInput[];
  edges: EdgeSpec[];
}

/** An operator as written in a spec: everything but id and type has a default. */
export type OperatorSpecInput = Pick<OperatorSpec, 'id' | 'type'> & Partial<Omit<OperatorSpec, 'id' | 'type'>>;

export interface Edge {
  from: string;
  to: string;
  ship: Partitioning;
  share: number;
}

export class JobValidationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'JobValidationError';
  }
}

export const OPERATOR_DEFAULTS = {
  cost: 10,
  selectivity: 1,
  keySkew: 0,
  stateSizeMb: 0,
  maxParallelism: 128,
} as const;

function defaultPartitioning(type: OperatorType): Partitioning {
  return type === 'keyedAggregate' || type === 'window' || type === 'join' ? 'hash' : 'forward';
}

function finiteNonNegative(x: number): boolean {
  return typeof x === 'number' && Number.isFinite(x) && x >= 0;
}

export class JobGraph {
  readonly name: string;
  private readonly graph: InstanceType<typeof DirectedGraph>;
  private readonly order: readonly string[];
  private readonly ops: ReadonlyMap<string, OperatorSpec>;

  private constructor(name: string, ops: Map<string, OperatorSpec>, edges: Edge[]) {
    this.name = name;
    this.ops = ops;
    this.graph = new DirectedGraph();
    for (const id of ops.keys()) this.graph.addNode(id);
    for (const e of edges) this.graph.addEdgeWithKey(`${e.from}->${e.to}`, e.from, e.to, { ship: e.ship, share: e.share });
    this.order = topologicalOrder(this.graph, [...ops.keys()]);
  }

  /** Validates a spec and builds the graph; throws JobValidationError naming the operator at fault. */
  static create(spec: JobSpec): JobGraph {
    const where = `job '${spec.name}'`;
    const ops = new Map<string, OperatorSpec>();
    for (const o of spec.operators) {
      const at = `${where}, operator '${o.id}'`;
      if (typeof o.id !== 'string' || o.id === '') throw new JobValidationError(`${where}: an operator has no id`);
      if (ops.has(o.id)) throw new JobValidationError(`${at}: duplicate operator id`);
      if (!isOperatorType(o.type)) throw new JobValidationError(`${at}: unknown operator type '${String(o.type)}'`);
      const op: OperatorSpec = {
        ...o,
        id: o.id,
        type: o.type,
        cost: o.cost ?? OPERATOR_DEFAULTS.cost,
        selectivity: o.selectivity ?? (o.type === 'sink' ? 0 : OPERATOR_DEFAULTS.selectivity),
        partitioning: o.partitioning ?? defaultPartitioning(o.type),
        keySkew: o.keySkew ?? OPERATOR_DEFAULTS.keySkew,
        stateSizeMb: o.stateSizeMb ?? OPERATOR_DEFAULTS.stateSizeMb,
        maxParallelism: o.maxParallelism ?? OPERATOR_DEFAULTS.maxParallelism,
      };
      if (!finiteNonNegative(op.cost)) throw new JobValidationError(`${at}: cost must be a number >= 0, got ${op.cost}`);
      if (!finiteNonNegative(op.selectivity)) throw new JobValidationError(`${at}: selectivity must be >= 0, got ${op.selectivity}`);
      if (!isPartitioning(op.partitioning)) throw new JobValidationError(`${at}: unknown partitioning '${String(op.partitioning)}'`);
      if (!(op.keySkew >= 0 && op.keySkew <= 1)) throw new JobValidationError(`${at}: keySkew must be in [0, 1], got ${op.keySkew}`);
      if (!finiteNonNegative(op.stateSizeMb)) throw new JobValidationError(`${at}: stateSizeMb must be >= 0, got ${op.stateSizeMb}`);
      if (!Number.isInteger(op.maxParallelism) || op.maxParallelism < 1)
        throw new JobValidationError(`${at}: maxParallelism must be an integer >= 1, got ${op.maxParallelism}`);
      if (op.rateShare !== undefined && !(finiteNonNegative(op.rateShare) && op.type === 'source'))
        throw new JobValidationError(`${at}: rateShare must be >= 0 and only on sources`);
      if (op.window && !(op.window.sizeSec > 0 && op.window.slideSec > 0))
        throw new JobValidationError(`${at}: window size and slide must be > 0`);
      ops.set(op.id, op);
    }
    if (ops.size === 0) throw new JobValidationError(`${where}: has no operators`);
    const edges: Edge[] = [];
    const seen = new Set<string>();
    for (const e of spec.edges) {
      const at = `${where}, edge ${e.from} -> ${e.to}`;
      if (!ops.has(e.from)) throw new JobValidationError(`${at}: edge from missing operator '${e.from}'`);
      const to = ops.get(e.to);
      if (!to) throw new JobValidationError(`${at}: edge to missing operator '${e.to}'`);
      if (e.from === e.to) throw new JobValidationError(`${at}: operator '${e.from}' has an edge to itself (cycle)`);
      if (seen.has(`${e.from}->${e.to}`)) throw new JobValidationError(`${at}: duplicate edge`);
      seen.add(`${e.from}->${e.to}`);
      const ship = e.ship ?? to.partitioning;
      if (!isPartitioning(ship)) throw new JobValidationError(`${at}: unknown ship strategy '${String(ship)}'`);
      const share = e.share ?? 1;
      if (!finiteNonNegative(share)) throw new JobValidationError(`${at}: share must be >= 0, got ${share}`);
      edges.push({ from: e.from, to: e.to, ship, share });
    }
    for (const op of ops.values()) {
      const hasIn = edges.some((e) => e.to === op.id);
      if (op.type === 'source' && hasIn) throw new JobValidationError(`${where}, operator '${op.id}': a source cannot have inputs`);
      if (op.type !== 'source' && !hasIn) throw new JobValidationError(`${where}, operator '${op.id}': has no input (only sources may)`);
    }
    return new JobGraph(spec.name, ops, edges);
  }

  /** Operator ids in a deterministic topological order. */
  get operatorIds(): readonly string[] {
    return this.order;
  }

  /** Operators in topological order. */
  operators(): OperatorSpec[] {
    return this.order.map((id) => this.operator(id));
  }

  operator(id: string): OperatorSpec {
    const op = this.ops.get(id);
    if (!op) throw new JobValidationError(`job '${this.name}': no operator '${id}'`);
    return op;
  }

  has(id: string): boolean {
    return this.ops.has(id);
  }

  get size(): number {
    return this.ops.size;
  }

  upstream(id: string): string[] {
    return [...this.graph.inNeighbors(id)].sort();
  }

  downstream(id: string): string[] {
    return [...this.graph.outNeighbors(id)].sort();
  }

  edge(from: string, to: string): Edge {
    const a = this.graph.getEdgeAttributes(`${from}->${to}`) as { ship: Partitioning; share: number };
    return { from, to, ship: a.ship, share: a.share };
  }

  edges(): Edge[] {
    const out: Edge[] = [];
    for (const id of this.order) for (const d of this.downstream(id)) out.push(this.edge(id, d));
    return out;
  }

  inEdges(id: string): Edge[] {
    return this.upstream(id).map((u) => this.edge(u, id));
  }

  sources(): string[] {
    return this.order.filter((id) => this.operator(id).type === 'source');
  }

  sinks(): string[] {
    return this.order.filter((id) => this.downstream(id).length === 0);
  }

  /** A spec that re-creates this graph (all defaults filled in). */
  toSpec(): JobSpec {
    return {
      name: this.name,
      operators: this.operators().map((o) => ({ ...o })),
      edges: this.edges().map((e) => ({ ...e })),
    };
  }

  /** Each source's normalised share of the total source rate. */
  sourceShares(): Record<string, number> {
    const srcs = this.sources();
    const raw = srcs.map((s) => this.operator(s).rateShare ?? 1);
    const sum = raw.reduce((a, b) => a + b, 0) || 1;
    return Object.fromEntries(srcs.map((s, i) => [s, (raw[i] ?? 0) / sum]));
  }

  /**
   * Load factors: records per second arriving at each operator's input per record/s of total source rate
   * (for a source: the records it emits per unit of total rate). Selectivities compose along paths.
   */
  loadFactors(): Record<string, number> {
    const shares = this.sourceShares();
    const input: Record<string, number> = {};
    for (const id of this.order) {
      const op = this.operator(id);
      input[id] = op.type === 'source' ? (shares[id] ?? 0) : this.inEdges(id).reduce((s, e) => s + outputFactor(this, input, e), 0);
    }
    return input;
  }
}

function outputFactor(job: JobGraph, input: Record<string, number>, e: Edge): number {
  const up = job.operator(e.from);
  return (input[e.from] ?? 0) * up.selectivity * e.share;
}

function topologicalOrder(g: InstanceType<typeof DirectedGraph>, ids: string[]): string[] {
  const indeg = new Map<string, number>(ids.map((id) => [id, g.inDegree(id)]));
  const ready = ids.filter((id) => indeg.get(id) === 0).sort();
  const order: string[] = [];
  while (ready.length > 0) {
    const id = ready.shift() as string;
    order.push(id);
    for (const d of [...g.outNeighbors(id)].sort()) {
      const k = (indeg.get(d) ?? 0) - 1;
      indeg.set(d, k);
      if (k === 0) {
        ready.push(d);
        ready.sort();
      }
    }
  }
  if (order.length !== ids.length) {
    // Operators left over lie on a cycle or downstream of one; peel off those with no way back into the rest.
    let stuck = ids.filter((id) => !order.includes(id));
    for (let changed = true; changed; ) {
      const keep = stuck.filter((id) => [...g.outNeighbors(id)].some((d) => stuck.includes(d)));
      changed = keep.length !== stuck.length;
      stuck = keep;
    }
    stuck.sort();
    throw new JobValidationError(`the job has a cycle through operator '${stuck[0]}' (operators on it: ${stuck.join(', ')})`);
  }
  return order;
}
