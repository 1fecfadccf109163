/**
 * Kubernetes: an Indexed Job (completion index i runs shard i+1 of n) and a merge Job for a submission. The image
 * holds this checkout with `npm ci` done; a ReadWriteMany PersistentVolumeClaim mounted in every pod holds the
 * results folder, so the submission folder results/<name>/<run-id>/ is <mount>/<name>/<run-id>/ in the pods.
 * Kubernetes has no job dependencies: apply the merge Job once the Indexed Job is complete (`kubectl wait`).
 * Only manifests are written; nothing is applied.
 */
import { basename, dirname, join, relative } from 'node:path';
import type { K8sOptions, Submission } from './submission.js';
import { shellWord } from './slurm.js';

export const SHARDS_MANIFEST = 'k8s/shards.yaml';
export const MERGE_MANIFEST = 'k8s/merge.yaml';

type Yaml = string | number | boolean | Yaml[] | { [k: string]: Yaml };

/** YAML for plain data: block mappings and sequences, strings quoted unless plain, multi-line strings as |. */
export function toYaml(v: Yaml, indent = ''): string {
  const scalar = (x: string | number | boolean): string => {
    if (typeof x !== 'string') return String(x);
    return /^[A-Za-z/][A-Za-z0-9._/-]*$/.test(x) && !/^(true|false|yes|no|on|off|null|y|n)$/i.test(x) ? x : JSON.stringify(x);
  };
  const block = (x: Yaml, ind: string): string => {
    if (typeof x === 'string' && x.includes('\n')) return ` |\n${x.replace(/\n$/, '').split('\n').map((l) => (l === '' ? '' : `${ind}  ${l}`)).join('\n')}\n`;
    if (typeof x !== 'object') return ` ${scalar(x)}\n`;
    if (Array.isArray(x) ? x.length === 0 : Object.keys(x).length === 0) return Array.isArray(x) ? ' []\n' : ' {}\n';
    return `\n${toYaml(x, `${ind}  `)}`;
  };
  if (Array.isArray(v))
    return v
      .map((item) => {
        if (typeof item === 'object' && !Array.isArray(item)) {
          const body = toYaml(item, `${indent}  `);
          return `${indent}- ${body.slice(indent.length + 2)}`;
        }
        return `${indent}-${block(item, indent)}`;
      })
      .join('');
  if (typeof v === 'object') return Object.entries(v).map(([k, x]) => `${indent}${scalar(k)}:${block(x, indent)}`).join('');
  return `${indent}${scalar(v)}\n`;
}

/** A DNS-1123 label from the experiment's name and the run id (lowercase, '-', at most 52 characters). */
export function jobBase(s: Submission): string {
  const raw = `${s.name}-${basename(s.dir)}`.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '');
  return raw.slice(0, 52).replace(/-+$/, '') || 'sweep';
}

/** The submission folder as the pods see it. */
function podPaths(s: Submission, o: K8sOptions): { dir: string; config: string } {
  return { dir: join(o.mount, basename(dirname(s.dir)), basename(s.dir)), config: relative(s.project, s.config) };
}

function podSpec(o: K8sOptions, container: Record<string, Yaml>): Record<string, Yaml> {
  return {
    restartPolicy: 'Never',
    containers: [
      {
        ...container,
        image: o.image,
        workingDir: o.workdir,
        resources: { requests: { cpu: String(o.cpus) } },
        volumeMounts: [{ name: 'results', mountPath: o.mount }],
      },
    ],
    volumes: [{ name: 'results', persistentVolumeClaim: { claimName: o.claim } }],
  };
}

function metadata(s: Submission, o: K8sOptions, name: string): Record<string, Yaml> {
  return { name, ...(o.namespace !== undefined ? { namespace: o.namespace } : {}), labels: { 'app.kubernetes.io/name': 'streamtune-lab', 'streamtune-lab/sweep': jobBase(s) } };
}

/** The Indexed Job: one completion per shard; a failed shard does not stop the others (backoffLimitPerIndex). */
export function shardsManifest(s: Submission, o: K8sOptions): string {
  const p = podPaths(s, o);
  const large = s.allowLarge ? ' --allow-large' : '';
  const script = [
    'set -euo pipefail',
    'shard=$((JOB_COMPLETION_INDEX + 1))',
    `dir=${shellWord(join(p.dir, s.name))}/shard-$shard`,
    `log=${shellWord(join(p.dir, 'logs'))}/shard-$shard.out`,
    'mkdir -p "$(dirname "$log")"',
    '{',
    `  echo "shard $shard/${s.shards} in pod $(hostname), $(date -u +%FT%TZ)"`,
    '  if [ -f "$dir/shard.json" ]; then',
    `    npm run experiment -- --resume "$dir" --jobs ${o.cpus}${large}`,
    '  else',
    `    npm run experiment -- ${shellWord(p.config)} --shard "$shard/${s.shards}" --out ${shellWord(p.dir)} --run-id "shard-$shard" --jobs ${o.cpus}${large}`,
    '  fi',
    '} 2>&1 | tee -a "$log"',
  ].join('\n');
  const job: Record<string, Yaml> = {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: metadata(s, o, `${jobBase(s)}-shards`),
    spec: {
      completionMode: 'Indexed',
      completions: s.shards,
      parallelism: s.shards,
      backoffLimitPerIndex: 0,
      template: { metadata: { labels: { 'streamtune-lab/sweep': jobBase(s) } }, spec: podSpec(o, { name: 'shard', command: ['bash', '-c', `${script}\n`] }) },
    },
  };
  return `# Shard i+1 of ${s.shards} of ${p.config} (${s.runs} runs) per completion index i, written by npm run submit -- --k8s.\n${toYaml(job)}`;
}

/** The merge Job: the shards' folders into <submission>/<name>/merged; a missing or unfinished shard is named. */
export function mergeManifest(s: Submission, o: K8sOptions): string {
  const p = podPaths(s, o);
  const shards = Array.from({ length: s.shards }, (_, i) => join(p.dir, s.name, `shard-${i + 1}`));
  const job: Record<string, Yaml> = {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: metadata(s, o, `${jobBase(s)}-merge`),
    spec: {
      backoffLimit: 0,
      template: {
        metadata: { labels: { 'streamtune-lab/sweep': jobBase(s) } },
        spec: podSpec({ ...o, cpus: 1 }, { name: 'merge', command: ['npm', 'run', 'merge', '--', ...shards, '--out', p.dir, '--run-id', 'merged'] }),
      },
    },
  };
  return `# Apply once ${jobBase(s)}-shards is complete: kubectl wait --for=condition=complete --timeout=-1s job/${jobBase(s)}-shards\n${toYaml(job)}`;
}
