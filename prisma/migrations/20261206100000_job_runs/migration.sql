-- Every ingest, train and tune job, wherever it started (a CLI, the API, server start-up), with
-- its progress (src/jobs/job-runner.ts). Several processes share the table: a run is aborted by
-- setting its flag, which the process running it reads at each write, and a run whose process
-- died is recognised by its heartbeat growing old.
CREATE TABLE "job_run" (
    "id" SERIAL NOT NULL,
    "name" TEXT NOT NULL,
    "args" JSONB NOT NULL,
    "origin" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'running',
    "phase" TEXT NOT NULL DEFAULT 'starting',
    "progress" REAL NOT NULL DEFAULT 0,
    "detail" TEXT NOT NULL DEFAULT '',
    "started_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "heartbeat_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "finished_at" TIMESTAMPTZ(6),
    "model_version_id" INTEGER,
    "error" TEXT,
    "abort_requested" BOOLEAN NOT NULL DEFAULT false,

    CONSTRAINT "job_run_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "job_run_name_known" CHECK ("name" IN ('ingest', 'train', 'tune')),
    CONSTRAINT "job_run_origin_known" CHECK ("origin" IN ('cli', 'api', 'start-up')),
    CONSTRAINT "job_run_status_known" CHECK ("status" IN ('running', 'succeeded', 'failed', 'aborted'))
);

-- The lists: newest first, of one job or all.
CREATE INDEX "job_run_name_id_idx" ON "job_run" ("name", "id" DESC);
