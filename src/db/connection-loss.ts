/**
 * Recognises errors that mean "the database server cannot be reached or just dropped us"
 * (restart, crash, network), as opposed to an error in the statement. Those are worth a retry
 * by the client; the rest are not.
 */

/** Socket-level failures from Node (connect refused, reset, timed out, name lookup). */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNABORTED']);

/**
 * SQLSTATEs of a server going away: admin_shutdown (57P01, a fast or smart restart),
 * crash_shutdown (57P02), cannot_connect_now (57P03, starting up or shutting down), and the
 * whole connection-exception class 08.
 */
function isShutdownState(code: string): boolean {
  return code === '57P01' || code === '57P02' || code === '57P03' || /^08[0-9A-Z]{3}$/.test(code);
}

/** What node-postgres says when the socket closes or a connect times out (it sets no code). */
const PG_MESSAGES = [
  'Connection terminated',
  'timeout exceeded when trying to connect',
  'Client has encountered a connection error and is not queryable',
  'Client was closed and is not queryable',
];

/** True when `error`, or anything in its `cause` / `originalError` chain, is a lost connection. */
export function isConnectionLoss(error: unknown): boolean {
  const seen = new Set<unknown>();
  for (let current = error; current !== null && typeof current === 'object' && !seen.has(current); ) {
    seen.add(current);
    const { code, message } = current as { code?: unknown; message?: unknown };
    if (typeof code === 'string' && (NETWORK_CODES.has(code) || isShutdownState(code))) return true;
    if (typeof message === 'string' && PG_MESSAGES.some((text) => message.startsWith(text))) return true;
    const next = current as { cause?: unknown; originalError?: unknown };
    current = next.cause ?? next.originalError;
  }
  return false;
}

/** Failures to connect at all (nothing listening, starting up or shutting down, connect timeout). */
export function isConnectFailure(error: unknown): boolean {
  const seen = new Set<unknown>();
  for (let current = error; current !== null && typeof current === 'object' && !seen.has(current); ) {
    seen.add(current);
    const { code, message } = current as { code?: unknown; message?: unknown };
    if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EHOSTUNREACH' || code === 'ENETUNREACH' || code === '57P03') return true;
    if (typeof message === 'string' && (message.startsWith('timeout exceeded when trying to connect') || message.startsWith('Connection terminated due to connection timeout'))) return true;
    const next = current as { cause?: unknown; originalError?: unknown };
    current = next.cause ?? next.originalError;
  }
  return false;
}
