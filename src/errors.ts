/**
 * The errors services throw, each with the GraphQL code it maps to (`extensions.code`).
 * Services know nothing of GraphQL; src/graphql/format-error.ts does the mapping in one place.
 */

export abstract class AppError extends Error {
  abstract readonly code: string;
}

/** An id that names nothing: anime, user, model version. */
export class NotFoundError extends AppError {
  override readonly name: string = 'NotFoundError';
  readonly code = 'NOT_FOUND';
}

/** An argument outside what the API accepts. */
export class InvalidInputError extends AppError {
  override readonly name: string = 'InvalidInputError';
  readonly code = 'BAD_USER_INPUT';
}

/** No credentials, or credentials that do not verify (expired, revoked, forged). */
export class UnauthenticatedError extends AppError {
  override readonly name = 'UnauthenticatedError';
  readonly code = 'UNAUTHENTICATED';
}

/** The caller is known but may not do or read this. */
export class ForbiddenError extends AppError {
  override readonly name = 'ForbiddenError';
  readonly code = 'FORBIDDEN';
}

/** A job run that is no longer running (succeeded, failed, aborted or interrupted) cannot be aborted. */
export class JobNotRunningError extends AppError {
  override readonly name = 'JobNotRunningError';
  readonly code = 'JOB_NOT_RUNNING';
}

/** No model is active yet (train one), or the model cannot answer for this id. */
export class ModelNotReadyError extends AppError {
  override readonly name = 'ModelNotReadyError';
  readonly code = 'MODEL_NOT_READY';
}

/**
 * A service we depend on (the database) cannot be reached right now. Nothing was decided: the
 * same request may be sent again after `retryAfterSeconds` (writes are idempotent upserts).
 */
export class ServiceUnavailableError extends AppError {
  override readonly name: string = 'ServiceUnavailableError';
  readonly code = 'SERVICE_UNAVAILABLE';
  readonly retryAfterSeconds = 1;
}

/**
 * The server is running as much costly work as it admits at once, and this request waited its
 * longest for room. Nothing of it ran: it may be sent again after `retryAfterSeconds`.
 */
export class ServerBusyError extends ServiceUnavailableError {
  override readonly name = 'ServerBusyError';
}

/** The caller sent more than its budget of requests of this kind; it may retry after `retryAfterSeconds`. */
export class RateLimitedError extends AppError {
  override readonly name = 'RateLimitedError';
  readonly code = 'RATE_LIMITED';
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(message);
  }
}

/** The embedded database cannot be made in DATA_DIR (a folder of other files, no permission, no space). */
export class DataDirUnusableError extends AppError {
  override readonly name = 'DataDirUnusableError';
  readonly code = 'DATA_DIR_UNUSABLE';
}

/** A tensor backend that was asked for (TFJS_BACKEND, --backend) cannot be loaded on this machine. */
export class BackendUnavailableError extends AppError {
  override readonly name = 'BackendUnavailableError';
  readonly code = 'BACKEND_UNAVAILABLE';
}

/**
 * A broken invariant of our own code, which no input can reach. Deliberately not an AppError:
 * the API answers it as INTERNAL_SERVER_ERROR and logs it, never showing its message.
 */
export class InvariantError extends Error {
  override readonly name = 'InvariantError';
  constructor(what: string) {
    super(`internal invariant broken: ${what}`);
  }
}

/** The message of whatever was thrown: an Error's message, anything else as a string. */
export function messageOf(thrown: unknown): string {
  return thrown instanceof Error ? thrown.message : String(thrown);
}
