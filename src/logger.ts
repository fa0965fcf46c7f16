/** The one logger (pino, which fastify also uses). Created once from the config and passed down. */
import pino from 'pino';

export type Logger = pino.Logger;

export function createLogger(level: pino.LevelWithSilent, destination: 'stdout' | 'stderr' = 'stdout'): Logger {
  return pino({ level, base: undefined }, pino.destination(destination === 'stdout' ? 1 : 2));
}
