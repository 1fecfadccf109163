/**
 * Model save/load: a directory with model.json (format tag, architecture config, feature scaler, weight manifest)
 * and weights.bin (every parameter as little-endian float32, in manifest order). Plain files, no TF.js IO
 * handlers or network; float32 values round-trip bit for bit, so a reloaded model predicts exactly the same.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { FeatureScaler, type FeatureScalerJson } from './features.js';
import { BottleneckModel, modelConfig, type ModelConfig } from './model.js';
import type { ParamArray, ParamGroup } from './params.js';

export const MODEL_FORMAT = 'streamtune-lab/bottleneck-model';
export const MODEL_FORMAT_VERSION = 1;
export const MODEL_JSON = 'model.json';
export const WEIGHTS_BIN = 'weights.bin';

export interface WeightEntry {
  name: string;
  group: ParamGroup;
  shape: number[];
  /** Offset and length in float32 values. */
  offset: number;
  length: number;
}

export interface ModelJson {
  format: typeof MODEL_FORMAT;
  version: number;
  config: ModelConfig;
  scaler: FeatureScalerJson;
  weights: WeightEntry[];
  weightsFile: string;
  /** Free-form provenance (cluster id, training set, epochs, ...). */
  meta?: Record<string, unknown>;
}

export interface SerializedModel {
  json: ModelJson;
  /** All weights, little-endian float32. */
  weights: Uint8Array;
}

/** In-memory serialisation (what saveModel writes). */
export function serializeModel(model: BottleneckModel, meta?: Record<string, unknown>): SerializedModel {
  const arrays = model.params.toArrays();
  const total = arrays.reduce((a, w) => a + w.values.length, 0);
  const bytes = new Uint8Array(total * 4);
  const view = new DataView(bytes.buffer);
  const entries: WeightEntry[] = [];
  let off = 0;
  for (const w of arrays) {
    for (let i = 0; i < w.values.length; i++) view.setFloat32((off + i) * 4, w.values[i] as number, true);
    entries.push({ name: w.name, group: w.group, shape: w.shape, offset: off, length: w.values.length });
    off += w.values.length;
  }
  return {
    json: {
      format: MODEL_FORMAT,
      version: MODEL_FORMAT_VERSION,
      config: structuredClone(model.config),
      scaler: model.scaler.toJSON(),
      weights: entries,
      weightsFile: WEIGHTS_BIN,
      ...(meta ? { meta } : {}),
    },
    weights: bytes,
  };
}

/** Rebuilds a model from its serialisation. Throws on a format, architecture or weight-shape mismatch. */
export function deserializeModel(s: SerializedModel): BottleneckModel {
  const { json } = s;
  if (json.format !== MODEL_FORMAT) throw new Error(`not a model file: format '${String(json.format)}', expected '${MODEL_FORMAT}'`);
  if (json.version !== MODEL_FORMAT_VERSION) throw new Error(`model format version ${json.version} is not supported (expected ${MODEL_FORMAT_VERSION})`);
  const view = new DataView(s.weights.buffer, s.weights.byteOffset, s.weights.byteLength);
  const arrays: ParamArray[] = json.weights.map((w) => {
    if ((w.offset + w.length) * 4 > s.weights.byteLength)
      throw new Error(`weights file too short for parameter '${w.name}' (${s.weights.byteLength} bytes)`);
    const values = new Float32Array(w.length);
    for (let i = 0; i < w.length; i++) values[i] = view.getFloat32((w.offset + i) * 4, true);
    return { name: w.name, group: w.group, shape: w.shape, values };
  });
  const model = BottleneckModel.create(modelConfig(json.config), FeatureScaler.fromJSON(json.scaler));
  try {
    model.params.assign(arrays);
  } catch (e) {
    model.dispose();
    throw e;
  }
  return model;
}

/** Writes model.json and weights.bin into `dir` (created if missing; files replaced atomically). */
export async function saveModel(model: BottleneckModel, dir: string, meta?: Record<string, unknown>): Promise<void> {
  const s = serializeModel(model, meta);
  await mkdir(dir, { recursive: true });
  const write = async (name: string, data: string | Uint8Array) => {
    const tmp = path.join(dir, `.${name}.tmp-${process.pid}`);
    await writeFile(tmp, data);
    await rename(tmp, path.join(dir, name));
  };
  await write(WEIGHTS_BIN, s.weights);
  await write(MODEL_JSON, JSON.stringify(s.json, null, 2) + '\n');
}

/** Reads a model written by saveModel. */
export async function loadModel(dir: string): Promise<BottleneckModel> {
  const file = path.join(dir, MODEL_JSON);
  let json: ModelJson;
  try {
    json = JSON.parse(await readFile(file, 'utf8')) as ModelJson;
  } catch (e) {
    throw new Error(`cannot read model ${file}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
  const weights = new Uint8Array(await readFile(path.join(dir, json.weightsFile ?? WEIGHTS_BIN)));
  return deserializeModel({ json, weights });
}

/** Provenance stored with a saved model, if any. */
export async function readModelMeta(dir: string): Promise<Record<string, unknown> | undefined> {
  return (JSON.parse(await readFile(path.join(dir, MODEL_JSON), 'utf8')) as ModelJson).meta;
}
