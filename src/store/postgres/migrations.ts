/**
 * Numbered, append-only migrations of the PostgreSQL schema. Never edit a released migration;
 * add the next number. Times are BIGINT milliseconds (`…_at`), durations `…_ms`, JSON as TEXT
 * (the exact text written is read back, so hashed values round-trip unchanged). Ids use the
 * "C" collation so that text order is byte order, the order ids are minted in.
 *
 * The statements run with `search_path` set to the store's schema, so names are unqualified.
 */
import type { Migration } from "../store.js";

export type { Migration };

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: "initial schema",
    sql: `
CREATE TABLE tenants (
  id TEXT COLLATE "C" PRIMARY KEY,
  name TEXT NOT NULL,
  created_at BIGINT NOT NULL
);

-- The tenant-wide event position. Writers bump it under the row lock in their last statement
-- before COMMIT, so positions become visible in order (see docs/postgres.md).
CREATE TABLE tenant_positions (
  tenant_id TEXT COLLATE "C" PRIMARY KEY,
  last_event_id BIGINT NOT NULL
);

CREATE TABLE api_keys (
  id TEXT COLLATE "C" PRIMARY KEY,
  tenant_id TEXT COLLATE "C" NOT NULL REFERENCES tenants(id),
  name TEXT NOT NULL,
  scopes TEXT NOT NULL,
  secret_hash TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  revoked_at BIGINT,
  created_by TEXT
);
CREATE INDEX api_keys_tenant ON api_keys (tenant_id, created_at);

CREATE TABLE tasks (
  id TEXT COLLATE "C" PRIMARY KEY,
  tenant_id TEXT COLLATE "C" NOT NULL,
  kind TEXT NOT NULL,
  input TEXT NOT NULL,
  queue TEXT NOT NULL,
  priority INTEGER NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('queued','running','succeeded','failed','canceled')),
  run_at BIGINT NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  started_at BIGINT,
  finished_at BIGINT,
  attempts INTEGER NOT NULL,
  max_attempts INTEGER NOT NULL,
  labels TEXT NOT NULL,
  requirements TEXT[],
  idempotency_key TEXT,
  request_hash TEXT,
  created_by TEXT NOT NULL,
  lease_ttl_ms BIGINT NOT NULL,
  max_renewals INTEGER NOT NULL,
  timeout_ms BIGINT NOT NULL,
  backoff_base_ms BIGINT NOT NULL,
  backoff_max_ms BIGINT NOT NULL,
  result TEXT,
  error TEXT,
  progress TEXT,
  lease_id TEXT COLLATE "C",
  lease_worker_id TEXT,
  lease_acquired_at BIGINT,
  lease_expires_at BIGINT,
  lease_renewals INTEGER,
  last_seq INTEGER NOT NULL,
  head_hash TEXT NOT NULL,
  receipt_acked_at BIGINT
) WITH (fillfactor = 70);
-- Free room on each page lets appends and renewals (which change no indexed column) update in
-- place (HOT), without new index entries.
CREATE INDEX tasks_claimable ON tasks (tenant_id, priority DESC, run_at, id) WHERE state = 'queued';
CREATE INDEX tasks_expiring ON tasks (lease_expires_at) WHERE state = 'running';
CREATE UNIQUE INDEX tasks_lease ON tasks (lease_id) WHERE lease_id IS NOT NULL;
CREATE UNIQUE INDEX tasks_idempotency ON tasks (tenant_id, idempotency_key)
  WHERE idempotency_key IS NOT NULL;
CREATE INDEX tasks_tenant ON tasks (tenant_id, id);
CREATE INDEX tasks_creator ON tasks (tenant_id, created_by, id);

CREATE TABLE events (
  tenant_id TEXT COLLATE "C" NOT NULL,
  id BIGINT NOT NULL,
  task_id TEXT COLLATE "C" NOT NULL,
  seq INTEGER NOT NULL,
  type TEXT NOT NULL,
  at BIGINT NOT NULL,
  data TEXT NOT NULL,
  hash TEXT NOT NULL,
  PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX events_task_seq ON events (task_id, seq);

CREATE TABLE attempts (
  task_id TEXT COLLATE "C" NOT NULL,
  number INTEGER NOT NULL,
  tenant_id TEXT COLLATE "C" NOT NULL,
  lease_id TEXT COLLATE "C" NOT NULL,
  worker_id TEXT NOT NULL,
  started_at BIGINT NOT NULL,
  ended_at BIGINT,
  outcome TEXT,
  error TEXT,
  meta TEXT,
  PRIMARY KEY (task_id, number)
);

CREATE TABLE workers (
  id TEXT COLLATE "C" PRIMARY KEY,
  tenant_id TEXT COLLATE "C" NOT NULL,
  name TEXT NOT NULL,
  kinds TEXT NOT NULL,
  labels TEXT NOT NULL,
  capacity INTEGER NOT NULL,
  version TEXT,
  principal_id TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  last_seen_at BIGINT NOT NULL
);
CREATE INDEX workers_tenant ON workers (tenant_id, last_seen_at);

CREATE TABLE signing_keys (
  kid TEXT COLLATE "C" PRIMARY KEY,
  private_jwk TEXT NOT NULL,
  public_jwk TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  retired_at BIGINT
);
`,
  },
];
