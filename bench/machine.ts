/** One line describing where a benchmark ran, so numbers are never quoted without their machine. */
import { cpus, release, totalmem, type } from 'node:os';

export function describeMachine(extra: string[] = []): string {
  const cpu = cpus();
  const model = cpu[0]?.model.trim() || 'unknown CPU';
  const memory = `${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM`;
  return [`${model}, ${cpu.length} cores`, memory, `${type()} ${release()} ${process.arch}`, `Node ${process.version}`, ...extra].join(' · ');
}

if (require.main === module) process.stdout.write(`${describeMachine()}\n`);
