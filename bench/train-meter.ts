/**
 * Throughput in short windows, for the training benchmark: the rate of each window of at
 * least WINDOW_SECONDS, counted only once warm-up is over, summarized by the median (robust
 * to other work on the machine) and the overall rate. Gaps (a validation pass between epochs,
 * a warm-up step) are left out by calling `skip`. Internal to bench/.
 */

import { median } from './stats';

export const WINDOW_SECONDS = 0.2;

export interface Throughput {
  /** Median samples/s over the counted windows. */
  median: number;
  /** Counted samples / counted seconds. */
  overall: number;
  windows: number;
  samples: number;
  seconds: number;
}

export class WindowMeter {
  private readonly started = performance.now();
  private refTime = this.started;
  private refSamples = 0;
  private readonly rates: number[] = [];
  private countedSamples = 0;
  private countedMs = 0;

  /** Windows that start before `warmupSeconds` (from construction) are not counted. */
  constructor(private readonly warmupSeconds = 0) {}

  /** `samples`: the cumulative count of samples processed so far. */
  mark(samples: number): void {
    const now = performance.now();
    const ms = now - this.refTime;
    if (ms < WINDOW_SECONDS * 1000) return;
    if (this.refTime - this.started >= this.warmupSeconds * 1000) {
      this.rates.push(((samples - this.refSamples) * 1000) / ms);
      this.countedSamples += samples - this.refSamples;
      this.countedMs += ms;
    }
    this.refTime = now;
    this.refSamples = samples;
  }

  /** Starts a new window here, dropping the time since the last mark. */
  skip(samples: number): void {
    this.refTime = performance.now();
    this.refSamples = samples;
  }

  /** Seconds of counted windows so far. */
  get countedSeconds(): number {
    return this.countedMs / 1000;
  }

  get windows(): number {
    return this.rates.length;
  }

  result(): Throughput {
    return {
      median: median(this.rates),
      overall: this.countedMs > 0 ? (this.countedSamples * 1000) / this.countedMs : NaN,
      windows: this.rates.length,
      samples: this.countedSamples,
      seconds: this.countedMs / 1000,
    };
  }
}
