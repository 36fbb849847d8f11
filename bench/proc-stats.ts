import { readdirSync, readFileSync } from 'node:fs';

// CPU and memory of processes, read from /proc (Linux only; every reader returns null or {} elsewhere).

const clockTicks = 100; // USER_HZ on Linux

export function readPeakRssMb(pid: number): number | null {
  try {
    const m = /^VmHWM:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : null;
  } catch {
    return null;
  }
}

export interface CpuTimes {
  user: number;
  system: number;
}

function parseStat(stat: string): { comm: string; cpu: number } & CpuTimes {
  const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime and stime (fields 14 and 15 of stat) are 11 and 12 after the command name and the state.
  const user = Number(fields[11]) / clockTicks;
  const system = Number(fields[12]) / clockTicks;
  return { comm, cpu: user + system, user, system };
}

/** User and system CPU seconds a process (all its threads) has used so far; null once it is gone. */
export function readCpuTimes(pid: number): CpuTimes | null {
  try {
    const { user, system } = parseStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
    return { user, system };
  } catch {
    return null;
  }
}

/**
 * CPU seconds per command name over every live process, e.g. { postgres: 12.3, 'redis-server': 1.2 }.
 * Processes that exited in between are missing, so a difference of two readings is a lower bound.
 */
export function cpuByCommand(): Record<string, number> {
  const out: Record<string, number> = {};
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return out;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const { comm, cpu } = parseStat(readFileSync(`/proc/${entry}/stat`, 'utf8'));
      out[comm] = (out[comm] ?? 0) + cpu;
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** CPU seconds per command between two cpuByCommand() readings, largest first, zero entries dropped. */
export function cpuDelta(
  before: Record<string, number>,
  after: Record<string, number>,
): Array<[string, number]> {
  return Object.entries(after)
    .map(([comm, cpu]): [string, number] => [comm, cpu - (before[comm] ?? 0)])
    .filter(([, d]) => d > 0.005)
    .sort((a, b) => b[1] - a[1]);
}
