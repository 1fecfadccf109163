/**
 * `npm run submit -- <config> --slurm --shards N [--partition P --time T --account A --cpus C --dry-run]`,
 * `npm run submit -- <config> --k8s --shards N --image I [...]`, `npm run submit -- --resume <submission folder>`.
 */
import { resumeSweep, submitSweep, type SubmitOutcome } from '../batch/submit.js';
import { duration } from '../experiment/estimate.js';
import { assetSeconds } from '../experiment/plan.js';
import { MAX_SHARDS } from '../experiment/shard.js';
import { command, EXIT, guard, InputError, integerIn } from './common.js';

const plain = (flag: string, re: RegExp, expected: string) => (v: unknown) => {
  const s = String(v);
  if (!re.test(s)) throw new InputError(`--${flag}: expected ${expected}, got '${s.slice(0, 40)}'`);
  return s;
};
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

const argv = command(
  'submit',
  '$0 <config> --slurm --shards N [options]\n$0 <config> --k8s --shards N --image I [options]\n$0 --resume <submission folder>\n\nSplits an experiment into N shards on a batch system. --slurm writes an array job (one task per shard) and a merge job that waits for the whole array, submits both with sbatch (unless --dry-run) and prints the job ids and the folder to watch; the merged run folder appears as <folder>/<name>/merged. --k8s writes a Kubernetes Indexed Job and a merge Job (nothing is applied). --resume resubmits the shards that did not finish, then the merge.',
)
  .command('$0 [config]', 'submit a sweep')
  .positional('config', { type: 'string', describe: 'experiment JSON, e.g. sweeps/streamtune-ablations-q5.json' })
  .option('slurm', { type: 'boolean', describe: 'submit to Slurm (sbatch)' })
  .option('k8s', { type: 'boolean', describe: 'write Kubernetes manifests' })
  .option('shards', { type: 'string', coerce: integerIn('shards', 1, MAX_SHARDS), describe: 'number of shards, at most the number of runs' })
  .option('partition', { type: 'string', coerce: plain('partition', NAME, 'a Slurm partition name'), describe: 'Slurm partition (default: the cluster default)' })
  .option('time', { type: 'string', coerce: plain('time', /^(\d+-)?\d+(:\d{1,2}){0,2}$/, 'a Slurm time limit (minutes, HH:MM:SS or D-HH:MM:SS)'), describe: 'time limit per shard (default: the partition default)' })
  .option('account', { type: 'string', coerce: plain('account', NAME, 'a Slurm account name'), describe: 'Slurm account to charge' })
  .option('cpus', { type: 'string', coerce: integerIn('cpus', 1, 1024), describe: 'CPUs per shard, also its --jobs (default 1)' })
  .option('image', { type: 'string', coerce: plain('image', /^[A-Za-z0-9][A-Za-z0-9._/:@-]*$/, 'a container image reference'), describe: 'with --k8s: the image holding this checkout with npm ci done' })
  .option('namespace', { type: 'string', coerce: plain('namespace', /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/, 'a Kubernetes namespace'), describe: 'with --k8s: the namespace of the Jobs' })
  .option('claim', { type: 'string', default: 'results', coerce: plain('claim', /^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/, 'a PersistentVolumeClaim name'), describe: 'with --k8s: the ReadWriteMany claim holding the results folder' })
  .option('mount', { type: 'string', default: '/results', coerce: plain('mount', /^\/[A-Za-z0-9._/-]*$/, 'an absolute path'), describe: 'with --k8s: where the claim is mounted in the pods' })
  .option('workdir', { type: 'string', default: '/app', coerce: plain('workdir', /^\/[A-Za-z0-9._/-]*$/, 'an absolute path'), describe: 'with --k8s: the checkout in the image' })
  .option('out', { type: 'string', describe: "parent folder of the submission folder (default: the config's outputs.dir)" })
  .option('run-id', { type: 'string', describe: 'name of the submission folder under <out>/<name>/ (default: the UTC time)' })
  .option('allow-large', { type: 'boolean', default: false, describe: 'submit even when the work estimate is over the limit (passed to every shard)' })
  .option('train', { type: 'boolean', default: true, describe: 'pre-train, here and once, a StreamTune recipe that differs from its pretrained set (--no-train: refuse instead)' })
  .option('dry-run', { type: 'boolean', default: false, describe: 'write the scripts and print the sbatch commands without submitting' })
  .option('resume', { type: 'string', describe: 'a submission folder: resubmit its unfinished shards, then the merge' })
  .check((a) => {
    if (a.resume !== undefined) {
      const extra = ['config', 'slurm', 'k8s', 'shards', 'partition', 'time', 'account', 'cpus', 'image', 'namespace', 'out', 'run-id'].filter((k) => a[k] !== undefined);
      if (extra.length > 0) throw new InputError(`--resume: not with ${extra.map((k) => (k === 'config' ? 'a config' : `--${k}`)).join(', ')} (the folder holds its own)`);
      return true;
    }
    if (a.config === undefined) throw new InputError('give an experiment file, or --resume <submission folder>');
    if (!a.slurm === !a.k8s) throw new InputError('give one of --slurm (submit to Slurm) or --k8s (write Kubernetes manifests)');
    if (a.shards === undefined) throw new InputError('--shards: give the number of shards, e.g. --shards 8');
    if (a.k8s && a.image === undefined) throw new InputError('--image: --k8s needs the image that holds this checkout with npm ci done');
    if (a.slurm && a.image !== undefined) throw new InputError('--image: only with --k8s');
    if (a.k8s && (a.partition !== undefined || a.time !== undefined || a.account !== undefined)) throw new InputError('--partition, --time, --account: only with --slurm');
    return true;
  })
  .parseSync();

function report(o: SubmitOutcome, dryRun: boolean): void {
  const s = o.submission;
  const a = o.attempt;
  for (const line of o.unfinished) console.log(line);
  if (s.scheduler === 'k8s') {
    console.log(`wrote ${a.files.join(', ')} for ${s.shards} shards of ${s.runs} runs`);
    console.log(`folder: ${s.dir}`);
    console.log('apply them (Kubernetes has no job dependencies: the merge after the shards):');
    for (const c of o.commands) console.log(`  ${c}`);
    return;
  }
  const what = a.shards.length === 0 ? 'the merge alone (every shard finished)' : `${a.shards.length === s.shards ? s.shards : `${a.shards.length} of ${s.shards}`} shards (${s.runs} runs) and the merge`;
  if (dryRun || !a.jobs) {
    console.log(`dry run: wrote ${a.files.join(', ')}; would submit ${what} with:`);
    for (const c of o.commands) console.log(`  ${c}`);
    console.log(`folder: ${s.dir}`);
    return;
  }
  console.log(`submitted ${what}`);
  if (a.jobs.shards) console.log(`array job: ${a.jobs.shards} (tasks ${a.shards.join(',')})`);
  console.log(`merge job: ${a.jobs.merge}${a.jobs.shards ? ' (afterok: runs when every shard succeeded)' : ''}`);
  if (a.jobs.report) console.log(`report job: ${a.jobs.report} (afternotok: names the shards that failed)`);
  console.log(`folder: ${s.dir}`);
  console.log(`  logs: ${s.dir}/logs/   merged: ${s.dir}/${s.name}/merged/`);
  console.log(`  squeue -j ${[a.jobs.shards, a.jobs.merge, a.jobs.report].filter((x) => x).join(',')}`);
}

await guard(async () => {
  const dryRun = argv['dry-run'];
  if (argv.resume !== undefined) {
    report(resumeSweep(argv.resume, { dryRun }), dryRun);
    return EXIT.ok;
  }
  const cpus = argv.cpus ?? 1;
  const outcome = await submitSweep(
    {
      config: argv.config as string,
      shards: argv.shards as number,
      scheduler: argv.slurm ? 'slurm' : 'k8s',
      ...(argv.out !== undefined ? { out: argv.out } : {}),
      ...(argv['run-id'] !== undefined ? { runId: argv['run-id'] } : {}),
      allowLarge: argv['allow-large'],
      train: argv.train,
      ...(argv.slurm
        ? { slurm: { cpus, ...(argv.partition !== undefined ? { partition: argv.partition } : {}), ...(argv.time !== undefined ? { time: argv.time } : {}), ...(argv.account !== undefined ? { account: argv.account } : {}) } }
        : { k8s: { image: argv.image as string, claim: argv.claim, mount: argv.mount, workdir: argv.workdir, cpus, ...(argv.namespace !== undefined ? { namespace: argv.namespace } : {}) } }),
    },
    {
      dryRun,
      onTrain: {
        start: (p, count) => console.log(`${p.asset.describe} (${p.where}), ~${duration(assetSeconds(p))}${count > 1 ? ` (1 of ${count})` : ''}, made once before the shards, into ${p.asset.id}`),
        step: (what) => console.log(`  ${what}`),
        stop: () => undefined,
      },
    },
  );
  report(outcome, dryRun);
  return EXIT.ok;
});
