-- API tokens expire: a token is accepted until this time (null: ingested users, who have no token).
ALTER TABLE "app_user" ADD COLUMN "token_expires_at" TIMESTAMPTZ(6);
