/** `npm start`: the animerec server. */
import 'reflect-metadata';
import { loadConfig } from './config';
import { terminalProgress } from './progress';
import { createLogger } from './logger';
import { startServer } from './server/start';
import { messageOf } from './errors';

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.logLevel);
  const server = await startServer(config, logger, terminalProgress());
  process.stdout.write(`animerec listening on ${server.url} (GraphQL at ${server.url}/graphql)\n`);
  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    logger.info({ signal }, 'shutting down');
    server.close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

main().catch((error: unknown) => {
  process.stderr.write(`animerec: ${messageOf(error)}\n`);
  process.exit(1);
});
