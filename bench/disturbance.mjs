// Other work on the machine (the test suite, another push, a build) competes
// with the push for the same few CPUs and can double its time. The bench
// cannot stop it, but it can see it, for each timed push:
//  - CPU time used by anything but the stack's daemons (dockerd, containerd,
//    registry) and the bench's own process tree, from /proc;
//  - requests the registry logged for repositories that are not the bench's
//    (another push through the same engine shows up there, not in the CPU
//    figure, since it runs inside dockerd);
//  - a registry restart (its pid changed), which tests do.
// bench.mjs re-runs a round that was disturbed, so the medians come from
// rounds that ran alone as far as it can tell.
import { closeSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';

const REQUEST = /"(?:GET|HEAD|POST|PUT|PATCH|DELETE) \/v2\/([^/ ?]+)/;
// /proc counts CPU time in USER_HZ ticks, 100 a second on Linux.
const TICKS_PER_SECOND = 100;
// Others may use this share of one CPU (system daemons, the sandbox's own
// agents) before a push counts as disturbed.
const OTHER_CPU_ALLOWED = 0.25;

export class DisturbanceWatch {
  constructor(stack) {
    this.logFile = stack.registryLog;
    this.daemonPidFiles = [
      '/var/run/docker.pid',
      '/var/run/docker/containerd/containerd.pid',
      stack.registryPidFile,
    ];
    this.offset = fileSize(this.logFile);
    this.mark = this.sample();
  }

  /**
   * What happened since the last call: other CPU (seconds), foreign
   * registry requests, a registry restart, and whether that is too much.
   */
  since() {
    const foreign = countForeignRequests(this.readNewLog());
    const now = this.sample();
    const before = this.mark;
    this.mark = now;

    const seconds = (now.at - before.at) / 1000;
    const restarted = now.registryPid !== before.registryPid;
    // A daemon that restarted has a new counter: its time is unknown.
    const daemons = now.daemonTicks.reduce(
      (sum, ticks, i) => sum + Math.max(0, ticks - before.daemonTicks[i]),
      0,
    );
    const ours = now.ownTicks - before.ownTicks;
    const busy = now.busyTicks - before.busyTicks;
    const otherCpu = Math.max(0, busy - daemons - ours) / TICKS_PER_SECOND;
    const disturbed =
      foreign > 0 || restarted || otherCpu > OTHER_CPU_ALLOWED * seconds;
    return { disturbed, otherCpu, foreign, restarted };
  }

  sample() {
    return {
      at: performance.now(),
      busyTicks: systemBusyTicks(),
      daemonTicks: this.daemonPidFiles.map((file) =>
        processTicks(readPid(file)),
      ),
      // Ourselves plus every child we waited for (bash, curl, docker,
      // node via /usr/bin/time): the cutime/cstime of /proc/self/stat.
      ownTicks: processTicks('self', { withChildren: true }),
      registryPid: readPid(this.daemonPidFiles[2]),
    };
  }

  // Only the part written since the last call; a log that shrank was
  // replaced, so it is read from its start.
  readNewLog() {
    const size = fileSize(this.logFile);
    if (size < this.offset) this.offset = 0;
    const length = size - this.offset;
    if (length <= 0) return '';
    const buffer = Buffer.alloc(length);
    const fd = openSync(this.logFile, 'r');
    try {
      readSync(fd, buffer, 0, length, this.offset);
    } finally {
      closeSync(fd);
    }
    this.offset = size;
    return buffer.toString('utf8');
  }
}

/**
 * Waits until the machine has been quiet (everything but us under the
 * allowed share of one CPU) for `quietSeconds` in a row, or `maxSeconds`
 * have passed. Starting a round in a busy spell would only get it re-run.
 * Returns the seconds waited and whether the machine got quiet.
 */
export async function waitForQuiet({ maxSeconds, quietSeconds = 2 }) {
  const started = performance.now();
  const elapsed = () => (performance.now() - started) / 1000;
  let quietFor = 0;
  while (quietFor < quietSeconds && elapsed() < maxSeconds) {
    const busy = systemBusyTicks();
    const ours = processTicks('self', { withChildren: true });
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const others =
      systemBusyTicks() -
      busy -
      (processTicks('self', { withChildren: true }) - ours);
    quietFor =
      others / TICKS_PER_SECOND <= OTHER_CPU_ALLOWED ? quietFor + 1 : 0;
  }
  return { seconds: elapsed(), quiet: quietFor >= quietSeconds };
}

/** "" when the push ran alone, else a short note for the round line. */
export function describeDisturbance(disturbance) {
  if (!disturbance?.disturbed) return '';
  const { otherCpu, foreign, restarted } = disturbance;
  const notes = [`other CPU ${otherCpu.toFixed(2)} s`];
  if (foreign) notes.push(`${foreign} other registry requests`);
  if (restarted) notes.push('registry restarted');
  return notes.join(', ');
}

/** For the machine line: what "disturbed" means here. */
export function disturbanceRule() {
  return (
    `a push is "disturbed" when other processes used over ${OTHER_CPU_ALLOWED} ` +
    `of one CPU (of ${availableParallelism()}), the registry served other ` +
    'repositories, or it restarted'
  );
}

// "/v2/" alone (the version check) names no repository: not counted.
function countForeignRequests(log) {
  let foreign = 0;
  for (const line of log.split('\n')) {
    const repository = REQUEST.exec(line)?.[1];
    if (repository && !repository.startsWith('bench-')) foreign++;
  }
  return foreign;
}

// user + nice + system + irq + softirq + steal of the "cpu" line.
function systemBusyTicks() {
  const fields = readFileSync('/proc/stat', 'utf8')
    .split('\n')[0]
    .trim()
    .split(/\s+/)
    .slice(1)
    .map(Number);
  const [user, nice, system, , , irq, softirq, steal] = fields;
  return user + nice + system + irq + softirq + steal;
}

// utime + stime (+ cutime + cstime) of /proc/<pid>/stat; 0 when gone.
function processTicks(pid, { withChildren = false } = {}) {
  if (!pid) return 0;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after "(comm) ": state is index 0, utime index 11.
    const fields = stat
      .slice(stat.lastIndexOf(')') + 2)
      .split(' ')
      .map(Number);
    const [utime, stime, cutime, cstime] = fields.slice(11, 15);
    return utime + stime + (withChildren ? cutime + cstime : 0);
  } catch {
    return 0;
  }
}

function readPid(file) {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    return '';
  }
}

function fileSize(file) {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}
