/**
 * LISTEN on PostgreSQL over a connection of its own (a pooled one would drop the LISTEN when
 * it goes back to the pool). A lost connection is retried with backoff for as long as the
 * subscription lives; callers are told when it is down and back, so they can poll meanwhile
 * and catch up on what they missed.
 */
import pg from 'pg';
import { quoteIdent, type NotificationHandlers, type Subscription } from './database';

/** First wait before reconnecting a lost listener; doubled per failed try up to the max. */
export const LISTENER_RETRY_FIRST_MS = 100;
export const LISTENER_RETRY_MAX_MS = 2000;

/** Connection settings shared by the pool and the dedicated connections (see postgres.ts). */
export interface ClientSettings {
  connectionString: string;
  connectionTimeoutMillis: number;
  keepAlive: boolean;
}

class PostgresListener implements Subscription {
  private client: pg.Client | null = null;
  private closed = false;
  private retryMs = LISTENER_RETRY_FIRST_MS;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly settings: ClientSettings,
    private readonly channels: readonly string[],
    private readonly handlers: NotificationHandlers,
  ) {}

  get connected(): boolean {
    return this.client !== null;
  }

  /** Connects and LISTENs; on failure, keeps retrying in the background. Resolves either way. */
  async start(): Promise<void> {
    if (!(await this.connect())) this.retryLater();
  }

  private async connect(): Promise<boolean> {
    const client = new pg.Client(this.settings);
    client.on('notification', (message) => this.handlers.onNotification(message.channel, message.payload ?? ''));
    client.on('error', () => this.lost(client));
    client.on('end', () => this.lost(client));
    try {
      await client.connect();
      for (const channel of this.channels) await client.query(`LISTEN ${quoteIdent(channel)}`);
    } catch {
      client.removeAllListeners('end');
      client.on('error', () => undefined);
      await client.end().catch(() => undefined);
      return false;
    }
    if (this.closed) {
      await client.end().catch(() => undefined);
      return false;
    }
    this.client = client;
    this.retryMs = LISTENER_RETRY_FIRST_MS;
    return true;
  }

  private lost(client: pg.Client): void {
    if (client !== this.client) return;
    this.client = null;
    client.end().catch(() => undefined);
    if (this.closed) return;
    this.handlers.onDisconnected?.();
    this.retryLater();
  }

  private retryLater(): void {
    if (this.closed) return;
    this.timer = setTimeout(() => {
      this.connect().then(
        (connected) => {
          if (connected) this.handlers.onReconnected?.();
          else {
            this.retryMs = Math.min(LISTENER_RETRY_MAX_MS, this.retryMs * 2);
            this.retryLater();
          }
        },
        () => this.retryLater(),
      );
    }, this.retryMs);
    this.timer.unref();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    const client = this.client;
    this.client = null;
    await client?.end().catch(() => undefined);
  }
}

/** Starts a listener on `channels`; it reconnects by itself after a loss until closed. */
export async function listenOnPostgres(settings: ClientSettings, channels: readonly string[], handlers: NotificationHandlers): Promise<Subscription> {
  const listener = new PostgresListener(settings, channels, handlers);
  await listener.start();
  return listener;
}
