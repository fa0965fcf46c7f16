/**
 * Prometheus metrics (prom-client), served at `/metrics` on a port of their own (METRICS_PORT;
 * off when unset), so the API's port never exposes them:
 * - GraphQL requests and their latency per operation (its root field, or "multiple"), errors per code;
 * - the served model version, and whether the model listener is connected (else: polling);
 * - the fold-in lag (a rating's answer to its user's vector being served) and the users waiting;
 * - the database pool's connections and waiting statements, and each read replica's state and lag;
 * - training runs (train and tune jobs) on this database per status, and the progress of each running one;
 * - Node's process metrics (memory, CPU, event-loop lag), prefixed `animerec_`.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ApolloServerPlugin } from '@apollo/server';
import { Kind, type OperationDefinitionNode } from 'graphql';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Database } from '../db/database';
import type { GraphQLContext } from '../graphql/context';
import type { ModelCache } from '../recsys/model-cache';
import type { JobRunner } from '../jobs/job-runner';
import { TRAINING_JOBS } from '../jobs/job';

export interface MetricSources {
  db: Database;
  models: ModelCache;
  jobs: JobRunner;
}

/** Request latency buckets, seconds: from a cached lookup to a slow recommendation. */
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
/** Fold-in lag buckets, seconds: the goal is well under one second. */
const LAG_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/** The operation's label: its single root field, or "multiple" (bounded by the schema, whatever clients send). */
function operationLabel(operation: OperationDefinitionNode): string {
  const fields = new Set(operation.selectionSet.selections.map((s) => (s.kind === Kind.FIELD ? s.name.value : 'fragment')));
  return fields.size === 1 ? [...fields][0]! : 'multiple';
}

export class Metrics {
  readonly registry = new Registry();
  private readonly requests: Counter<'operation' | 'type'>;
  private readonly latency: Histogram<'operation' | 'type'>;
  private readonly errors: Counter<'code'>;

  constructor({ db, models, jobs }: MetricSources) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: 'animerec_' });
    this.requests = new Counter({ name: 'animerec_graphql_requests_total', help: 'GraphQL requests, per operation (root field) and type', labelNames: ['operation', 'type'], registers });
    this.latency = new Histogram({
      name: 'animerec_graphql_request_duration_seconds',
      help: 'GraphQL request time from receipt to response, per operation (root field) and type',
      labelNames: ['operation', 'type'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.errors = new Counter({ name: 'animerec_graphql_errors_total', help: 'Errors in GraphQL responses, per code', labelNames: ['code'], registers });
    new Gauge({
      name: 'animerec_model_version_served',
      help: 'Id of the model version this server serves (0: none)',
      registers,
      collect() {
        this.set(models.current()?.versionId ?? 0);
      },
    });
    new Gauge({
      name: 'animerec_model_listener_connected',
      help: '1 while activations and fold-ins of other servers arrive by LISTEN/NOTIFY, 0 while polling',
      registers,
      collect() {
        this.set(models.listening ? 1 : 0);
      },
    });
    const lag = new Histogram({ name: 'animerec_fold_in_lag_seconds', help: "From a rating's answer to its user's new vector being served", buckets: LAG_BUCKETS, registers });
    models.foldIns.observe((lagsMs) => {
      for (const ms of lagsMs) lag.observe(ms / 1000);
    });
    new Gauge({
      name: 'animerec_fold_in_pending_users',
      help: 'Users whose fold-in is waiting or running',
      registers,
      collect() {
        this.set(models.foldIns.size);
      },
    });
    new Gauge({
      name: 'animerec_db_pool_connections',
      help: 'Database pool connections by state (PostgreSQL only), and statements waiting for one',
      labelNames: ['state'],
      registers,
      collect() {
        const pool = db.poolState();
        if (!pool) return;
        this.set({ state: 'total' }, pool.total);
        this.set({ state: 'idle' }, pool.idle);
        this.set({ state: 'waiting' }, pool.waiting);
      },
    });
    new Gauge({
      name: 'animerec_db_replica_up',
      help: '1 while a read replica takes reads, 0 while it is skipped (failing or lagging beyond the bound)',
      labelNames: ['replica'],
      registers,
      collect() {
        this.reset();
        for (const replica of db.replicaStates()) this.set({ replica: replica.location }, replica.healthy ? 1 : 0);
      },
    });
    new Gauge({
      name: 'animerec_db_replica_lag_seconds',
      help: "How far a read replica's replay was behind the primary at its last probe",
      labelNames: ['replica'],
      registers,
      collect() {
        this.reset();
        for (const replica of db.replicaStates()) if (replica.lagMs !== null) this.set({ replica: replica.location }, replica.lagMs / 1000);
      },
    });
    new Gauge({
      name: 'animerec_training_runs',
      help: 'Training runs (train and tune jobs, wherever started) on this database, per status',
      labelNames: ['status'],
      registers,
      async collect() {
        // With the database away the gauge is empty (the pool's gauges say why); /metrics still answers.
        const counts = await jobs.count(TRAINING_JOBS).catch(() => new Map<string, number>());
        this.reset();
        for (const [status, runs] of counts) this.set({ status }, runs);
      },
    });
    new Gauge({
      name: 'animerec_training_run_progress',
      help: 'Fraction done of the current phase of each running training run',
      labelNames: ['run', 'kind', 'phase'],
      registers,
      async collect() {
        const running = await jobs.list({ names: TRAINING_JOBS, status: 'running' }).catch(() => []);
        this.reset();
        for (const run of running) this.set({ run: String(run.id), kind: String(run.args.kind), phase: run.phase }, run.progress);
      },
    });
  }

  /** Counts and times every GraphQL request, and the codes of the errors it answers with. */
  plugin(): ApolloServerPlugin<GraphQLContext> {
    const { requests, latency, errors } = this;
    return {
      async contextCreationDidFail({ error }) {
        errors.inc({ code: String((error as { extensions?: { code?: unknown } }).extensions?.code ?? 'INTERNAL_SERVER_ERROR') });
      },
      async requestDidStart() {
        const started = performance.now();
        let labels = { operation: 'unknown', type: 'unknown' };
        return {
          async didResolveOperation({ operation }) {
            if (operation) labels = { operation: operationLabel(operation), type: operation.operation };
          },
          async willSendResponse({ response }) {
            requests.inc(labels);
            latency.observe(labels, (performance.now() - started) / 1000);
            if (response.body.kind !== 'single') return;
            for (const error of response.body.singleResult.errors ?? []) errors.inc({ code: String(error.extensions?.code ?? 'INTERNAL_SERVER_ERROR') });
          },
        };
      },
    };
  }

  /** Serves `/metrics` on `host:port` (0: any free port); resolves once listening. */
  async serve(host: string, port: number): Promise<{ url: string; close(): Promise<void> }> {
    const server: Server = createServer((request, response) => {
      if (request.method !== 'GET' || request.url?.split('?')[0] !== '/metrics') {
        response.writeHead(404, { 'content-type': 'text/plain' }).end('not found: metrics are at /metrics\n');
        return;
      }
      this.registry.metrics().then(
        (text) => response.writeHead(200, { 'content-type': this.registry.contentType }).end(text),
        () => response.writeHead(500, { 'content-type': 'text/plain' }).end('metrics failed\n'),
      );
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    const address = server.address() as AddressInfo;
    const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    return {
      url: `http://${shown === '0.0.0.0' || shown === '[::]' ? '127.0.0.1' : shown}:${address.port}/metrics`,
      close: () => new Promise<void>((resolve) => server.close(() => resolve())),
    };
  }
}
