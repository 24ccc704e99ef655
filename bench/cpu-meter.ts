import { readdirSync, readFileSync } from 'node:fs';
import { Client } from 'pg';

/** CPU milliseconds spent in the API process, the database backends and this process. */
export interface CpuSpent {
  api: number | null;
  db: number | null;
  client: number;
}

// On a shared 2-core machine wall-clock rates swing with other people's load; CPU time per
// request does much less, and says where the time goes. Linux /proc only; '-' elsewhere.
const CLOCK_TICKS_PER_SECOND = 100;

/** utime + stime of a process in ms, or null if it cannot be read. */
export function cpuMsOf(pid: number, command?: string): number | null {
  try {
    // A database in another pid namespace (a container) names pids this process does not see
    // as the same: reading them would count someone else's CPU.
    if (command && !readFileSync(`/proc/${pid}/comm`, 'utf8').startsWith(command)) return null;
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // fields from #3 (state) on
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return null;
  }
}

/** The API child process, recognised by the unique QUEUE_PREFIX in its environment. */
export function findPid(envEntry: string): number | null {
  try {
    for (const d of readdirSync('/proc')) {
      if (!/^\d+$/.test(d)) continue;
      try {
        if (readFileSync(`/proc/${d}/environ`, 'utf8').split('\0').includes(envEntry)) {
          return Number(d);
        }
      } catch {
        // not ours, or gone
      }
    }
  } catch {
    // no /proc
  }
  return null;
}

/** Reads the CPU counters around a phase: the API process and this database's backends. */
export class CpuMeter {
  apiPid: number | null = null;

  constructor(private readonly db: Client) {}

  async snapshot() {
    const { rows } = await this.db.query(
      `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`,
    );
    const backends = new Map<number, number | null>(
      rows.map((r: { pid: number }) => [r.pid, cpuMsOf(r.pid, 'postgres')]),
    );
    return {
      api: this.apiPid === null ? null : cpuMsOf(this.apiPid),
      backends,
      client: process.cpuUsage(),
    };
  }

  /**
   * Backends that connected during the phase count from zero. One that could not be read at the
   * end (it exited meanwhile) is left out, as are its counters: the phases keep their
   * connections open until measured, so only a stray one goes. None readable: null (no /proc,
   * or a database out of this pid namespace).
   */
  diff(a: Snapshot, b: Snapshot): CpuSpent {
    let db: number | null = null;
    for (const [pid, ms] of b.backends) {
      const before = a.backends.get(pid);
      if (ms === null || before === null) continue;
      db = (db ?? 0) + ms - (before ?? 0);
    }
    const client = process.cpuUsage(a.client);
    return {
      api: a.api === null || b.api === null ? null : b.api - a.api,
      db,
      client: (client.user + client.system) / 1000,
    };
  }
}
type Snapshot = Awaited<ReturnType<CpuMeter['snapshot']>>;
