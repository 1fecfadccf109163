/**
 * npm run flink-cluster -- start --taskmanagers 2 --slots 2 [--dir D] [--rest-port P]
 * npm run flink-cluster -- status [--dir D] [--json]
 * npm run flink-cluster -- stop [--dir D]
 * npm run flink-cluster -- add-taskmanager [--dir D]        (a replacement after a failure, or growth)
 * npm run flink-cluster -- kill-taskmanager [n] [--dir D]   (kill -9: a fault drill)
 *
 * A local standalone Flink session cluster (src/engines/flink/cluster.ts). Point an experiment at the printed URL
 * with "engine": {"kind": "flink", "rest": "<url>"}, exactly as at a multi-machine cluster.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StandaloneCluster, type ClusterStatus } from '../engines/flink/cluster.js';
import { command, EXIT, guard, InputError } from './common.js';

const DEFAULT_DIR = join(tmpdir(), 'streamtune-flink-cluster');

function printStatus(s: ClusterStatus): void {
  console.log(`cluster ${s.dir}`);
  console.log(`  REST      ${s.url}${s.overview ? ` (Flink ${s.overview.flinkVersion})` : ' (not answering)'}`);
  if (s.overview)
    console.log(
      `  slots     ${s.overview.slotsAvailable} free of ${s.overview.slotsTotal} on ${s.overview.taskmanagers} TaskManager(s); ${s.overview.jobsRunning} job(s) running`,
    );
  for (const p of s.processes) console.log(`  ${p.name.padEnd(15)} pid ${String(p.pid).padEnd(8)} ${p.alive ? 'alive' : 'gone '}  log ${p.log}`);
}

const argv = command('flink-cluster', '$0 <start|stop|status|add-taskmanager|kill-taskmanager> [options]')
  .command('start', 'start a JobManager and TaskManagers (separate JVMs) and wait until all are registered', (y) =>
    y
      .option('taskmanagers', { type: 'number', default: 2, describe: 'TaskManager JVMs' })
      .option('slots', { type: 'number', default: 2, describe: 'task slots per TaskManager' })
      .option('rest-port', { type: 'number', default: 0, describe: 'REST port (0: a free port)' })
      .option('metrics-interval-ms', { type: 'number', default: 500, describe: 'metrics.fetcher.update-interval' }),
  )
  .command('stop', 'stop every JVM of the cluster (the folder with its logs stays)')
  .command('status', 'the processes, the REST URL, TaskManagers and slots', (y) => y.option('json', { type: 'boolean', default: false }))
  .command('add-taskmanager', 'start one more TaskManager')
  .command('kill-taskmanager [index]', 'kill -9 a TaskManager (by start order from 0; default the last alive)', (y) =>
    y.positional('index', { type: 'number' }),
  )
  .option('dir', { type: 'string', default: DEFAULT_DIR, describe: 'the cluster folder: conf/, log/, checkpoints, the state file' })
  .demandCommand(1, 'name a command: start, stop, status, add-taskmanager or kill-taskmanager')
  .parseSync();

await guard(async () => {
  const [cmd] = argv._;
  const dir = argv.dir;
  switch (cmd) {
    case 'start': {
      const taskManagers = argv.taskmanagers as number;
      const slots = argv.slots as number;
      if (!Number.isInteger(taskManagers) || taskManagers < 0) throw new InputError(`--taskmanagers must be an integer >= 0, got ${taskManagers}`);
      if (!Number.isInteger(slots) || slots < 1) throw new InputError(`--slots must be an integer >= 1, got ${slots}`);
      const t0 = performance.now();
      const c = await StandaloneCluster.start({
        dir,
        taskManagers,
        slots,
        restPort: argv['rest-port'] as number,
        metricsIntervalMs: argv['metrics-interval-ms'] as number,
        detached: true,
      });
      console.log(`started in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
      printStatus(await c.status());
      console.log(`use it with: "engine": {"kind": "flink", "rest": "${c.url}"}`);
      console.log(`stop it with: npm run flink-cluster -- stop${dir === DEFAULT_DIR ? '' : ` --dir ${dir}`}`);
      return EXIT.ok;
    }
    case 'stop': {
      const c = StandaloneCluster.attach(dir);
      const n = c.liveProcesses().length;
      await c.stop();
      console.log(`stopped ${n} JVM(s) of ${c.dir} (logs stay in ${join(c.dir, 'log')})`);
      return EXIT.ok;
    }
    case 'status': {
      const s = await StandaloneCluster.attach(dir).status();
      if (argv.json) console.log(JSON.stringify(s, null, 2));
      else printStatus(s);
      return s.overview ? EXIT.ok : EXIT.runFailed;
    }
    case 'add-taskmanager': {
      const tm = await StandaloneCluster.attach(dir).addTaskManager();
      console.log(`${tm.name} pid ${tm.pid} registered (log ${tm.log})`);
      return EXIT.ok;
    }
    case 'kill-taskmanager': {
      const tm = StandaloneCluster.attach(dir).killTaskManager(argv.index as number | undefined);
      console.log(`killed ${tm.name} (pid ${tm.pid}) with SIGKILL`);
      return EXIT.ok;
    }
    default:
      throw new InputError(`unknown command '${String(cmd)}' (expected start, stop, status, add-taskmanager or kill-taskmanager)`);
  }
});
