/**
 * Samples a process's resident memory from /proc/<pid>/status (VmRSS) every 250 ms, so each
 * scenario can report the worker's peak without the worker's cooperation or instrumentation.
 */
import { readFileSync } from 'node:fs';

/** VmRSS of a process in bytes, or undefined when it cannot be read (process gone, not Linux). */
export function readRssBytes(pid: number): number | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

export class RssSampler {
  private timer?: NodeJS.Timeout;
  private windowPeak = 0;
  private phasePeak = 0;
  private overallPeak = 0;
  private samples = 0;

  constructor(
    private readonly pid: number,
    private readonly intervalMs = 250,
  ) {}

  start(): void {
    this.sample();
    this.timer = setInterval(() => this.sample(), this.intervalMs);
    // sampling must never keep the benchmark alive
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Starts a new window (a scenario); peakSinceMark() reports the highest sample since. */
  mark(): void {
    this.windowPeak = readRssBytes(this.pid) ?? 0;
  }

  peakSinceMark(): number {
    this.sample();
    return this.windowPeak;
  }

  /** The highest sample since the previous call: the peak of the phase that just ended. */
  takePhasePeak(): number {
    this.sample();
    const peak = this.phasePeak;
    this.phasePeak = readRssBytes(this.pid) ?? 0;
    return peak;
  }

  get peak(): number {
    return this.overallPeak;
  }

  get sampleCount(): number {
    return this.samples;
  }

  private sample(): void {
    const rss = readRssBytes(this.pid);
    if (rss === undefined) return;
    this.samples++;
    if (rss > this.windowPeak) this.windowPeak = rss;
    if (rss > this.phasePeak) this.phasePeak = rss;
    if (rss > this.overallPeak) this.overallPeak = rss;
  }
}
