/** Progress of long work (loading, training): a terminal bar (cli-progress) with rows/s and ETA, or nothing. */
import { SingleBar } from 'cli-progress';

export interface ProgressSink {
  /** A new phase of `total` units (bytes of a file, batches of an epoch). */
  start(label: string, total: number): void;
  /** `done` of the phase's total (bytes, batches), `rows` processed so far, an optional note (e.g. the loss). */
  update(done: number, rows: number, detail?: string): void;
  stop(): void;
}

export const silentProgress: ProgressSink = { start() {}, update() {}, stop() {} };

/** A bar on stderr; on a non-TTY stream it prints a line now and then instead of redrawing. */
export function terminalProgress(stream: NodeJS.WriteStream = process.stderr): ProgressSink {
  let bar: SingleBar | undefined;
  let startedAt = 0;
  return {
    start(label, total) {
      startedAt = performance.now();
      bar = new SingleBar({
        stream,
        format: '{label} [{bar}] {percentage}% | {rows} rows | {rate} rows/s | ETA {eta_formatted}{detail}',
        barsize: 24,
        noTTYOutput: true,
        notTTYSchedule: 5000,
        etaBuffer: 50,
        hideCursor: true,
      });
      bar.start(Math.max(total, 1), 0, { label, rows: 0, rate: 0, detail: '' });
    },
    update(done, rows, detail) {
      const seconds = (performance.now() - startedAt) / 1000;
      bar?.update(done, { rows, rate: seconds > 0 ? Math.round(rows / seconds) : 0, detail: detail ? ` | ${detail}` : '' });
    },
    stop() {
      bar?.stop();
      bar = undefined;
    },
  };
}
