-- Several servers on one database (docs: README, "Several servers").

-- Announces every change of the active model version on commit, whichever process made it (a
-- server, the CLI): servers LISTEN on this channel and reload at once instead of at their next poll.
CREATE FUNCTION "notify_model_activation"() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('animerec_model_activated', '');
  RETURN NULL;
END
$$;

CREATE TRIGGER "model_version_activation" AFTER UPDATE OF "is_active" ON "model_version"
FOR EACH STATEMENT EXECUTE FUNCTION "notify_model_activation"();

-- Rate-limit counters shared by the servers (rate-limiter-flexible's PostgreSQL store layout:
-- `expire` in epoch milliseconds).
CREATE TABLE "rate_limit" (
    "key" VARCHAR(255) NOT NULL,
    "points" INTEGER NOT NULL DEFAULT 0,
    "expire" BIGINT,

    CONSTRAINT "rate_limit_pkey" PRIMARY KEY ("key")
);
