/**
 * A named, ordered set of tf.Variables, initialised from the seeded Rng (never from TF.js's own random
 * initialisers), so the same seed gives the same weights on every backend and every run.
 */
import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../core/random.js';

export type ParamGroup = 'encoder' | 'head';

export type ParamInit = 'glorot' | 'zeros' | { constant: number } | { uniform: number };

export interface ParamArray {
  name: string;
  group: ParamGroup;
  shape: number[];
  values: Float32Array;
}

interface Entry {
  readonly group: ParamGroup;
  readonly variable: tf.Variable;
}

export class ParamStore {
  private readonly entries = new Map<string, Entry>();

  /** Adds a variable; values drawn from rng in row-major order. */
  add(name: string, group: ParamGroup, shape: number[], init: ParamInit, rng: Rng): tf.Variable {
    if (this.entries.has(name)) throw new Error(`parameter '${name}' already exists`);
    const size = shape.reduce((a, b) => a * b, 1);
    const values = new Float32Array(size);
    if (init === 'glorot') {
      const fanIn = shape.length >= 2 ? (shape[0] as number) : 1;
      const fanOut = shape.length >= 2 ? (shape[1] as number) : (shape[0] ?? 1);
      const lim = Math.sqrt(6 / (fanIn + fanOut));
      for (let i = 0; i < size; i++) values[i] = rng.uniform(-lim, lim);
    } else if (init === 'zeros') {
      // already zero
    } else if ('constant' in init) {
      values.fill(init.constant);
    } else {
      for (let i = 0; i < size; i++) values[i] = rng.uniform(-init.uniform, init.uniform);
    }
    const initial = tf.tensor(values, shape, 'float32');
    const variable = tf.variable(initial, true);
    initial.dispose(); // the variable holds its own reference to the data
    this.entries.set(name, { group, variable });
    return variable;
  }

  get(name: string): tf.Variable {
    const e = this.entries.get(name);
    if (!e) throw new Error(`no parameter '${name}'`);
    return e.variable;
  }

  has(name: string): boolean {
    return this.entries.has(name);
  }

  names(): string[] {
    return [...this.entries.keys()];
  }

  /** Variables in creation order, optionally of one group. */
  variables(group?: ParamGroup): tf.Variable[] {
    return [...this.entries.values()].filter((e) => group === undefined || e.group === group).map((e) => e.variable);
  }

  /** Number of scalar parameters. */
  count(group?: ParamGroup): number {
    return this.variables(group).reduce((a, v) => a + v.size, 0);
  }

  /** Copies every value out (in creation order). */
  toArrays(): ParamArray[] {
    return [...this.entries].map(([name, e]) => ({
      name,
      group: e.group,
      shape: [...e.variable.shape],
      values: new Float32Array(e.variable.dataSync() as Float32Array),
    }));
  }

  /** Overwrites values; every stored parameter must be given, with its shape. */
  assign(arrays: readonly ParamArray[]): void {
    const byName = new Map(arrays.map((a) => [a.name, a]));
    for (const [name, e] of this.entries) {
      const a = byName.get(name);
      if (!a) throw new Error(`weights: parameter '${name}' is missing`);
      const shape = e.variable.shape;
      if (a.shape.length !== shape.length || a.shape.some((d, i) => d !== shape[i]))
        throw new Error(`weights: parameter '${name}' has shape [${a.shape.join(',')}], the model expects [${shape.join(',')}]`);
      tf.tidy(() => e.variable.assign(tf.tensor(a.values, shape, 'float32')));
    }
    for (const name of byName.keys()) if (!this.entries.has(name)) throw new Error(`weights: unknown parameter '${name}'`);
  }

  dispose(): void {
    for (const e of this.entries.values()) e.variable.dispose();
    this.entries.clear();
  }
}
