/** What every command-line job shares: argument errors and the one-line failure exit. */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { InvalidInputError, messageOf } from '../src/errors';

/** A bad command line: printed with the command's usage hint. */
export class UsageError extends InvalidInputError {
  override readonly name = 'UsageError';
}

/** Parses argv strictly; unknown or malformed options become a UsageError. */
export function parseCommandLine<Options extends NonNullable<ParseArgsConfig['options']>>(
  argv: string[],
  options: Options,
): ReturnType<typeof parseArgs<{ options: Options; strict: true; allowPositionals: false; args: string[] }>>['values'] {
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals: false }).values;
  } catch (error) {
    throw new UsageError((error as Error).message.split('\n')[0]!.replace(/^TypeError \[[A-Z_]+\]: /, ''));
  }
}

export function parsePositiveInt(option: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw new UsageError(`--${option} must be a non-negative integer, got "${value}"`);
  return Number(value);
}

/**
 * Runs a command's main function: on failure prints ONE line (`animerec <command>: reason`) to
 * stderr and exits non-zero. Stack traces only with LOG_LEVEL=debug.
 */
export function runCommand(command: string, usage: string, main: () => Promise<void>): void {
  main().then(
    () => process.exit(0),
    (error: unknown) => {
      const message = messageOf(error);
      process.stderr.write(`animerec ${command}: ${message}\n`);
      if (error instanceof UsageError) process.stderr.write(`usage: ${usage}\n`);
      if (process.env.LOG_LEVEL === 'debug' && error instanceof Error) process.stderr.write(`${error.stack}\n`);
      process.exit(error instanceof UsageError ? 2 : 1);
    },
  );
}
