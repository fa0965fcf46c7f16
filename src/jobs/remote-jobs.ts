/**
 * Jobs sent to the running server over loopback HTTP, for the embedded database: the server
 * owns the data directory, so a CLI job runs inside it (one process, one PGlite) and streams
 * its progress back as NDJSON events. The route requires the token the server wrote into its
 * lock file, which only users who can read DATA_DIR can see.
 */
import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { ProgressSink } from '../progress';
import { isJobName, JobAbortedError, JobFailedError, JOBS, type JobArgs, type JobName, type JobResult } from './job';
import type { JobRunner } from './job-runner';
import { messageOf } from '../errors';

export const JOBS_ROUTE = '/internal/jobs';

type JobEvent =
  | { type: 'start'; label: string; total: number }
  | { type: 'update'; done: number; rows: number; detail?: string }
  | { type: 'stop' }
  | { type: 'result'; result: unknown }
  | { type: 'error'; message: string };

function sameToken(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Serves POST /internal/jobs/:name for CLI processes on this machine; the run is listed with origin "cli". */
export function registerJobRoutes(app: FastifyInstance, options: { jobs: JobRunner; token: string }): void {
  app.post<{ Params: { name: string } }>(`${JOBS_ROUTE}/:name`, async (request, reply) => {
    const bearer = (request.headers.authorization ?? '').replace(/^Bearer /, '');
    if (!sameToken(bearer, options.token)) return reply.code(401).send({ error: 'job token required' });
    const name = request.params.name;
    if (!isJobName(name)) return reply.code(404).send({ error: `unknown job ${name}` });
    const parsed = JOBS[name].args.safeParse(request.body);
    if (!parsed.success) return reply.code(400).send({ error: `bad job arguments: ${parsed.error.issues[0]?.message}` });

    reply.hijack();
    const out = reply.raw;
    out.writeHead(200, { 'content-type': 'application/x-ndjson' });
    const send = (event: JobEvent) => out.write(`${JSON.stringify(event)}\n`);
    const aborter = new AbortController();
    // The client went away (Ctrl-C): stop the job; its transaction rolls back.
    out.on('close', () => aborter.abort(new JobAbortedError(`the ${name} job's CLI went away (Ctrl-C)`)));
    const progress: ProgressSink = {
      start: (label, total) => send({ type: 'start', label, total }),
      update: (done, rows, detail) => send({ type: 'update', done, rows, detail }),
      stop: () => send({ type: 'stop' }),
    };
    try {
      const result = await options.jobs.run(name, parsed.data, { origin: 'cli', progress, signal: aborter.signal });
      send({ type: 'result', result });
    } catch (error) {
      // The runner logged it.
      send({ type: 'error', message: messageOf(error) });
    }
    out.end();
  });
}

/** Runs a job in the server at `url`, relaying its progress; resolves with its result. */
export async function runRemoteJob<Name extends JobName>(
  server: { url: string; token: string },
  name: Name,
  args: JobArgs<Name>,
  progress: ProgressSink,
): Promise<JobResult<Name>> {
  const response = await fetch(`${server.url}${JOBS_ROUTE}/${name}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${server.token}` },
    body: JSON.stringify(args),
  });
  if (!response.ok || !response.body) {
    throw new JobFailedError(`the server refused the ${name} job: ${response.status} ${await response.text()}`);
  }
  let buffered = '';
  const decoder = new TextDecoder();
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    buffered += decoder.decode(chunk, { stream: true });
    let newline: number;
    while ((newline = buffered.indexOf('\n')) !== -1) {
      const event = JSON.parse(buffered.slice(0, newline)) as JobEvent;
      buffered = buffered.slice(newline + 1);
      switch (event.type) {
        case 'start':
          progress.start(event.label, event.total);
          break;
        case 'update':
          progress.update(event.done, event.rows, event.detail);
          break;
        case 'stop':
          progress.stop();
          break;
        case 'result':
          return event.result as JobResult<Name>;
        case 'error':
          throw new JobFailedError(event.message);
      }
    }
  }
  throw new JobFailedError(`the server ended the ${name} job without a result`);
}
