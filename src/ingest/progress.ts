/** Progress of a long load: a terminal bar (cli-progress) with rows/s and ETA, or nothing. */
import { SingleBar } from 'cli-progress';

export interface ProgressSink {
  /** A new phase over a file of `totalBytes` bytes on disk. */
  start(label: string, totalBytes: number): void;
  update(bytesRead: number, rows: number): void;
  stop(): void;
}

export const silentProgress: ProgressSink = { start() {}, update() {}, stop() {} };

/** A bar on stderr; on a non-TTY stream it prints a line now and then instead of redrawing. */
export function terminalProgress(stream: NodeJS.WriteStream = process.stderr): ProgressSink {
  let bar: SingleBar | undefined;
  let startedAt = 0;
  return {
    start(label, totalBytes) {
      startedAt = performance.now();
      bar = new SingleBar({
        stream,
        format: '{label} [{bar}] {percentage}% | {rows} rows | {rate} rows/s | ETA {eta_formatted}',
        barsize: 24,
        noTTYOutput: true,
        notTTYSchedule: 5000,
        etaBuffer: 50,
        hideCursor: true,
      });
      bar.start(Math.max(totalBytes, 1), 0, { label, rows: 0, rate: 0 });
    },
    update(bytesRead, rows) {
      const seconds = (performance.now() - startedAt) / 1000;
      bar?.update(bytesRead, { rows, rate: seconds > 0 ? Math.round(rows / seconds) : 0 });
    },
    stop() {
      bar?.stop();
      bar = undefined;
    },
  };
}
