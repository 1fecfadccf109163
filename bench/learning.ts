/**
 * Learning-room benchmarks:
 *  - pre-training throughput (graphs/s) of the default model (2-layer bidirectional GNN, hidden 32, monotone head)
 *    on each available backend (the native tfjs-node builds when installed, wasm, cpu);
 *  - inference latency for one 40-operator job: prepare (one encoder pass) + smallestSafeParallelism for every
 *    operator, pMax 128 (target: under 50 ms), per operator and batched over operators, for both heads.
 *
 * Run alone: npx tsx bench/learning.ts
 */
import * as tf from '@tensorflow/tfjs';
import { pathToFileURL } from 'node:url';
import { Rng } from '../src/core/random.js';
import { activate, availableBackends, chooseBackend, type BackendCandidate } from '../src/learning/backend.js';
import { FeatureScaler, graphFeatures, withLabels, type GraphFeatures } from '../src/learning/features.js';
import { smallestSafeParallelism, smallestSafeParallelismAll } from '../src/learning/head.js';
import { BottleneckModel } from '../src/learning/model.js';
import { toyDataset, toyJob, toyLabels, toyMetrics } from '../src/learning/toy.js';
import { trainModel } from '../src/learning/train.js';

const TARGET_MS = 50;
const P_MAX = 128;

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] as number;
}

function round(x: number, digits = 2): number {
  const k = 10 ** digits;
  return Math.round(x * k) / k;
}

async function pretrainThroughput(backend: string): Promise<Record<string, string | number>> {
  const data = toyDataset(new Rng(42), { graphs: 64, minOps: 10, maxOps: 30, metrics: true });
  const nodes = data.reduce((a, g) => a + g.nodeIds.length, 0);
  const model = BottleneckModel.create({ seed: 1 }, FeatureScaler.fit(data));
  try {
    await trainModel(model, data, { epochs: 1, batchSize: 16 }); // warm-up (kernel compilation, allocation)
    const epochs = 3;
    const t0 = performance.now();
    await trainModel(model, data, { epochs, batchSize: 16 });
    const seconds = (performance.now() - t0) / 1000;
    return {
      bench: 'learning/pretrain',
      backend,
      graphs: data.length,
      nodes,
      batchSize: 16,
      epochs,
      graphsPerSec: round((data.length * epochs) / seconds, 1),
      msPerEpoch: round((seconds * 1000) / epochs, 1),
    };
  } finally {
    model.dispose();
  }
}

function fortyOperatorJob(): GraphFeatures {
  const rng = new Rng(40);
  const job = toyJob(rng, 40, 'bench-40');
  const p = Object.fromEntries(job.operatorIds.map((id) => [id, rng.int(1, 16)]));
  const rate = 2e5;
  return withLabels(graphFeatures({ job, parallelism: p, sourceRate: rate, metrics: toyMetrics(job, p, rate) }), toyLabels(job, p, rate));
}

async function inferenceLatency(backend: string): Promise<Record<string, string | number>[]> {
  const g = fortyOperatorJob();
  const train = toyDataset(new Rng(7), { graphs: 32, minOps: 10, maxOps: 40, metrics: true });
  const rows: Record<string, string | number>[] = [];
  for (const head of ['monotone', 'unconstrained'] as const) {
    const model = BottleneckModel.create({ head: { kind: head }, seed: 3 }, FeatureScaler.fit(train));
    await trainModel(model, train, { epochs: 3, lr: 1e-2 });
    const modes = {
      perOperator: () => {
        const ev = model.prepare(g);
        try {
          for (const id of g.nodeIds) smallestSafeParallelism(ev, id, 0.5, P_MAX);
        } finally {
          ev.dispose();
        }
      },
      batched: () => {
        smallestSafeParallelismAll({ model, graph: g }, { theta: 0.5, pMax: P_MAX });
      },
    };
    for (const [mode, run] of Object.entries(modes)) {
      for (let i = 0; i < 3; i++) run(); // warm-up
      const times: number[] = [];
      for (let i = 0; i < 20; i++) {
        const t = performance.now();
        run();
        times.push(performance.now() - t);
      }
      const median = quantile(times, 0.5);
      rows.push({
        bench: 'learning/inference',
        backend,
        head,
        mode,
        operators: g.nodeIds.length,
        pMax: P_MAX,
        msMedian: round(median),
        msP95: round(quantile(times, 0.95)),
        targetMs: TARGET_MS,
        ok: median < TARGET_MS ? 'yes' : 'no',
      });
    }
    model.dispose();
  }
  return rows;
}

export async function benchLearning(): Promise<Record<string, string | number>[]> {
  const chosen = await chooseBackend();
  const rows: Record<string, string | number>[] = [];
  const candidates: BackendCandidate[] = await availableBackends(['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu']);
  try {
    for (const c of candidates) {
      if ((await activate(c)) !== undefined) continue;
      const name = tf.getBackend();
      rows.push(await pretrainThroughput(name));
      rows.push(...(await inferenceLatency(name)));
    }
  } finally {
    await tf.setBackend(chosen);
  }
  return rows;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const rows = await benchLearning();
  console.table(rows);
}
