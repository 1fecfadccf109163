/**
 * The tuner protocol: a tuner in any language as a child process speaking JSON lines (one JSON object per line,
 * UTF-8) on its stdin and stdout. The harness writes requests, the tuner answers each with exactly one response:
 *
 *   hello   -> hello           versioned handshake: the tuner answers with the protocol version it speaks
 *   prepare -> ready           the job's DAG, the tuner's options, the run's seed (once, before the first window)
 *   decide  -> keep | wait | rescale   the tuner's view of one window (the snapshot with every metric, the target
 *                              rate, the deployed parallelism, the last rescale's outcome)
 *   close   -> bye             then the tuner exits; the harness stops it after a grace period either way
 *
 * Any request may be answered with `error` instead: the run fails with the tuner's message. These zod types are
 * the one definition: the JSON Schemas under schema/tuner-protocol/ are generated from them (`npm run schema`), and
 * the harness validates every line a tuner sends against them. docs/tuner-protocol.md has a worked exchange.
 */
import { z } from 'zod';
import { OPERATOR_TYPES, PARTITIONINGS } from '../../core/operators.js';
import { OPERATOR_METRICS, SOURCE_METRICS } from '../../core/metrics.js';

/** The protocol version this harness speaks; a tuner answering another version is refused at the handshake. */
export const PROTOCOL_VERSION = 1;

const name = z.string().min(1).max(200);
const parallelism = z.record(name, z.int().min(1)).describe('Instances per operator id');

// ---- what the harness sends -------------------------------------------------------------------------------------

export const helloRequest = z
  .strictObject({
    type: z.literal('hello'),
    protocol: z.literal(PROTOCOL_VERSION).describe('The protocol version the harness speaks'),
    tuner: name.describe("The tuner's name in the experiment (its key under `tuners`)"),
  })
  .describe('The handshake: the first line the harness writes. The tuner answers with its own hello.');

const operatorSpec = z.strictObject({
  id: name,
  type: z.enum(OPERATOR_TYPES),
  cost: z.number().min(0).describe('CPU microseconds per input record for one instance (per emitted record for a source)'),
  selectivity: z.number().min(0).describe('Output records per input record'),
  partitioning: z.enum(PARTITIONINGS).describe("Partitioning of the operator's input"),
  keySkew: z.number().min(0).max(1).describe('Share of the input carried by the hottest key'),
  stateSizeMb: z.number().min(0),
  maxParallelism: z.int().min(1).describe("Upper bound of the operator's parallelism: a rescale above it is invalid"),
  rateShare: z.number().min(0).optional().describe("Sources only: share of the job's total source rate"),
  window: z.strictObject({ sizeSec: z.number().positive(), slideSec: z.number().positive() }).optional(),
  label: z.string().optional(),
});

export const jobSpec = z
  .strictObject({
    name,
    operators: z.array(operatorSpec).min(1).describe('Every operator, in a topological order (upstream before downstream)'),
    edges: z.array(
      z.strictObject({
        from: name,
        to: name,
        ship: z.enum(PARTITIONINGS).describe('Ship strategy of the edge'),
        share: z.number().min(0).describe('Share of the upstream output sent over this edge'),
      }),
    ),
  })
  .describe("The job's DAG with every default filled in");

export const prepareRequest = z
  .strictObject({
    type: z.literal('prepare'),
    job: jobSpec,
    options: z.record(z.string(), z.unknown()).describe("The entry's `options` object from the experiment, as written"),
    seed: z.int().min(0).max(2 ** 32 - 1).describe("The tuner's own seed (derived from the run's seed and the tuner's name): seed every random choice with it"),
    engine: z.string().describe('The engine kind: simulator, flink, timely, ...'),
  })
  .describe('Once per run, after the handshake and before the first decide. The tuner answers ready.');

/** A metric the engine could not measure as a finite number is sent as null (JSON has no NaN or Infinity). */
const metric = (doc: string, unit: string) => z.number().nullable().describe(`${doc} (${unit}); null when not finite`);
const operatorMetrics = z.strictObject(
  Object.fromEntries(Object.entries(OPERATOR_METRICS).map(([k, m]) => [k, metric(m.doc, m.unit)])) as { [K in keyof typeof OPERATOR_METRICS]: ReturnType<typeof metric> },
);
const sourceMetrics = z.strictObject(
  Object.fromEntries(Object.entries(SOURCE_METRICS).map(([k, m]) => [k, metric(m.doc, m.unit)])) as { [K in keyof typeof SOURCE_METRICS]: ReturnType<typeof metric> },
);

export const wireSnapshot = z
  .strictObject({
    time: z.number().describe('Engine time at the end of the window, seconds since deploy'),
    windowSeconds: z.number().positive(),
    operators: z.record(name, operatorMetrics).describe('Every metric of every operator (the closed table in src/core/metrics.ts)'),
    sources: z.record(name, sourceMetrics).describe('Per source: target and achieved rate, lag'),
    targetRate: z.number().describe('Total target source rate, records/s'),
    achievedRate: z.number().describe('Total achieved source rate, records/s'),
    note: z.string().optional(),
  })
  .describe('One observation window (always a valid one: invalid windows are never decided on)');

export const rescaleOutcome = z
  .strictObject({
    requested: parallelism,
    running: parallelism.describe('What runs now'),
    tookEffect: z.boolean().describe('False when nothing changed'),
    note: z.string().optional(),
  })
  .describe("This episode's last rescale that did not run as asked (not granted, or granted in part)");

export const decideRequest = z
  .strictObject({
    type: z.literal('decide'),
    window: z.int().min(1).describe('Run-wide index of this decision, from 1'),
    episode: z.int().min(0).describe('Index of the episode (rate phase), from 0; a new index starts a new episode'),
    view: z.strictObject({
      parallelism: parallelism.describe('The parallelism deployed during the window'),
      snapshot: wireSnapshot,
      targetRate: z.number().min(0).describe("The episode's target total source rate, records/s"),
      clock: z.number().min(0).describe('Seconds of engine time since the run started'),
      sharedWorkers: z.boolean().describe('True when all operators share one worker pool (Timely): the engine runs the largest value everywhere'),
      maxOperatorParallelism: z.int().min(1).optional().describe('The largest parallelism any one operator can get now (task slots); absent: each operator\'s maxParallelism'),
      lastRescale: rescaleOutcome.optional(),
    }),
  })
  .describe('One decision: answer keep, wait or rescale. The tuner keeps its own history of past views if it wants one.');

export const closeRequest = z.strictObject({ type: z.literal('close') }).describe('The run is over: answer bye and exit.');

export const request = z.discriminatedUnion('type', [helloRequest, prepareRequest, decideRequest, closeRequest]);

// ---- what the tuner answers -------------------------------------------------------------------------------------

const reason = z.string().max(10_000).describe('Why (recorded in timeline.csv)');

export const helloResponse = z
  .strictObject({
    type: z.literal('hello'),
    protocol: z.int().describe('The protocol version the tuner speaks; must equal the harness\'s'),
    name: z.string().max(200).optional().describe('The tuner\'s own name, for messages'),
  })
  .describe('The answer to hello');

export const readyResponse = z.strictObject({ type: z.literal('ready') }).describe('The answer to prepare');

export const keepResponse = z.strictObject({ type: z.literal('keep'), reason }).describe('Keep the deployed configuration: the tuner has converged');

export const waitResponse = z.strictObject({ type: z.literal('wait'), reason }).describe("Not yet: observe another window first (the tuner's own cadence)");

export const rescaleResponse = z
  .strictObject({
    type: z.literal('rescale'),
    parallelism: z
      .record(name, z.number())
      .describe("The new parallelism of every operator to change (operators left out keep theirs): integers within [1, the operator's maxParallelism]"),
    reason,
    reasons: z.record(name, z.string().max(10_000)).optional().describe('Optional per-operator reasons'),
  })
  .describe('Deploy a new configuration');

export const byeResponse = z.strictObject({ type: z.literal('bye') }).describe('The answer to close');

export const errorResponse = z.strictObject({ type: z.literal('error'), message: z.string().max(10_000) }).describe('The tuner cannot answer: the run fails with this message');

export const response = z.discriminatedUnion('type', [helloResponse, readyResponse, keepResponse, waitResponse, rescaleResponse, byeResponse, errorResponse]);

export type HelloRequest = z.infer<typeof helloRequest>;
export type PrepareRequest = z.infer<typeof prepareRequest>;
export type DecideRequest = z.infer<typeof decideRequest>;
export type CloseRequest = z.infer<typeof closeRequest>;
export type Request = z.infer<typeof request>;
export type Response = z.infer<typeof response>;
export type RescaleResponse = z.infer<typeof rescaleResponse>;
export type WireSnapshot = z.infer<typeof wireSnapshot>;

/** One JSON Schema per message, by file name (schema/tuner-protocol/<name>.schema.json). */
export const PROTOCOL_MESSAGES = {
  'hello.request': helloRequest,
  'prepare.request': prepareRequest,
  'decide.request': decideRequest,
  'close.request': closeRequest,
  'hello.response': helloResponse,
  'ready.response': readyResponse,
  'keep.response': keepResponse,
  'wait.response': waitResponse,
  'rescale.response': rescaleResponse,
  'bye.response': byeResponse,
  'error.response': errorResponse,
} as const;

/** The committed text of each message's schema file (`npm run schema` writes them; a test checks they are not stale). */
export function protocolSchemaTexts(): Record<string, string> {
  return Object.fromEntries(
    Object.entries(PROTOCOL_MESSAGES).map(([file, schema]) => {
      const json = { $id: `tuner-protocol/${file}.schema.json`, ...(z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as object) };
      return [`${file}.schema.json`, `${JSON.stringify(json, null, 2)}\n`];
    }),
  );
}
