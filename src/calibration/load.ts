/**
 * The machine's load during real calibration and fidelity runs. A busy machine makes a measurement read as a
 * model error (other jobs take the cores the fit attributes to the engine), so both commands:
 *   - refuse to start when the 1-minute load average is above a threshold (default: the machine's cores),
 *     unless forced (`--force`), in which case the result is marked as measured on a loaded machine;
 *   - record the load average at the start and the end and the CPU time other processes took during the run
 *     (the machine's busy time from /proc/stat less this process's and its waited-for children's, /proc/self/stat:
 *     the Flink JVMs are children), and print it.
 * Linux only for the CPU accounting; elsewhere those figures are null.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';

export interface MachineLoad {
  /** 1, 5, 15-minute load averages at the start. */
  loadAverageAtStart: number[];
  loadAverageAtEnd: number[];
  cores: number;
  /** The threshold the start was checked against (1-minute load average). */
  maxLoad: number;
  /** Started above the threshold (with --force), or other processes took more than a quarter of the cores. */
  loaded: boolean;
  /** CPU seconds other processes used during the run (null: not measurable here). */
  otherCpuSeconds: number | null;
  /** The same as cores in use on average: otherCpuSeconds / wall seconds. */
  otherCores: number | null;
  wallSeconds: number;
}

/** Other processes using more than this share of the cores during a run mark it loaded too. */
export const OTHER_CORES_SHARE = 0.25;

const HZ = 100; // USER_HZ: the unit of /proc/stat and /proc/<pid>/stat on Linux

/** Busy jiffies of the whole machine (all CPUs): user + nice + system + irq + softirq + steal. */
function machineBusy(): number | null {
  try {
    const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0]?.trim().split(/\s+/).slice(1).map(Number) ?? [];
    const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = cpu;
    return user + nice + system + irq + softirq + steal;
  } catch {
    return null;
  }
}

/** Jiffies of this process and its waited-for children (utime, stime, cutime, cstime). */
function ownBusy(): number | null {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ').map(Number);
    // Fields after the name: state is f[0], utime is field 14 of the whole line, i.e. f[11].
    return (f[11] ?? 0) + (f[12] ?? 0) + (f[13] ?? 0) + (f[14] ?? 0);
  } catch {
    return null;
  }
}

export interface LoadGate {
  ok: boolean;
  /** One line for the terminal. */
  message: string;
}

/** Whether a run may start at this load: refused above `maxLoad` unless forced (then marked loaded). */
export function loadGate(load1: number, maxLoad: number, force: boolean): LoadGate {
  if (load1 <= maxLoad) return { ok: true, message: `load average ${load1.toFixed(2)} (threshold ${maxLoad})` };
  if (force) return { ok: true, message: `load average ${load1.toFixed(2)} is above ${maxLoad}: measuring anyway (--force); the result is marked as measured on a loaded machine` };
  return { ok: false, message: `refusing to measure: load average ${load1.toFixed(2)} is above ${maxLoad} (other work would read as model error); wait for a quiet machine, raise --max-load, or pass --force to measure anyway (marked as loaded)` };
}

/** The default threshold: the machine's cores. */
export function defaultMaxLoad(): number {
  return availableParallelism();
}

/** Starts watching the machine; `stop()` gives the run's MachineLoad. */
export function watchLoad(maxLoad: number, now: () => number = Date.now): { stop(): MachineLoad } {
  const start = now();
  const startAvg = loadavg().map(round);
  const m0 = machineBusy();
  const o0 = ownBusy();
  return {
    stop(): MachineLoad {
      const wall = (now() - start) / 1000;
      const m1 = machineBusy();
      const o1 = ownBusy();
      const other = m0 !== null && m1 !== null && o0 !== null && o1 !== null ? Math.max(0, (m1 - m0 - (o1 - o0)) / HZ) : null;
      const cores = availableParallelism();
      const otherCores = other !== null && wall > 0 ? other / wall : null;
      return {
        loadAverageAtStart: startAvg,
        loadAverageAtEnd: loadavg().map(round),
        cores,
        maxLoad,
        loaded: (startAvg[0] ?? 0) > maxLoad || (otherCores !== null && otherCores > OTHER_CORES_SHARE * cores),
        otherCpuSeconds: other === null ? null : round(other),
        otherCores: otherCores === null ? null : round(otherCores),
        wallSeconds: round(wall),
      };
    },
  };
}

/** One line: "load average 4.30 at start, 3.90 at end; other processes 1.20 cores (1,340 CPU s); LOADED". */
export function loadLine(l: MachineLoad): string {
  const other = l.otherCores === null ? 'other processes: not measurable here' : `other processes used ${l.otherCores.toFixed(2)} of ${l.cores} cores (${Math.round(l.otherCpuSeconds ?? 0)} CPU s)`;
  return `machine load: load average ${(l.loadAverageAtStart[0] ?? 0).toFixed(2)} at start, ${(l.loadAverageAtEnd[0] ?? 0).toFixed(2)} at end; ${other}${l.loaded ? '; MEASURED ON A LOADED MACHINE' : ''}`;
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}

/**
 * The load gate as the measuring commands apply it (calibrate, fidelity): nothing to check when reusing saved
 * measurements; otherwise the gate on the 1-minute load average, printed. Returns the refusal line, or undefined.
 */
export function checkLoad(o: { maxLoad: number | undefined; force: boolean; reusing: boolean; log: (line: string) => void }): { maxLoad: number; refused?: string } {
  const maxLoad = o.maxLoad ?? defaultMaxLoad();
  if (o.reusing) return { maxLoad };
  const gate = loadGate(loadavg()[0] ?? 0, maxLoad, o.force);
  if (!gate.ok) return { maxLoad, refused: gate.message };
  o.log(gate.message);
  return { maxLoad };
}
