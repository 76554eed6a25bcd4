/**
 * Numbered, append-only migrations of the SQLite schema. Never edit a released migration; add
 * the next number. Times are INTEGER milliseconds (`…_at`), durations `…_ms`, JSON as TEXT.
 */
import type { Migration } from "../store.js";

export type { Migration };

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: "initial schema",
    sql: `
CREATE TABLE tenants (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  created_at INTEGER NOT NULL
);

CREATE TABLE api_keys (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  name TEXT NOT NULL,
  scopes TEXT NOT NULL,
  secret_hash TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  revoked_at INTEGER,
  created_by TEXT
);
CREATE INDEX api_keys_tenant ON api_keys (tenant_id, created_at);

CREATE TABLE tasks (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  input TEXT NOT NULL,
  queue TEXT NOT NULL,
  priority INTEGER NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('queued','running','succeeded','failed','canceled')),
  run_at INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  started_at INTEGER,
  finished_at INTEGER,
  attempts INTEGER NOT NULL,
  max_attempts INTEGER NOT NULL,
  labels TEXT NOT NULL,
  requirements TEXT,
  idempotency_key TEXT,
  request_hash TEXT,
  created_by TEXT NOT NULL,
  lease_ttl_ms INTEGER NOT NULL,
  max_renewals INTEGER NOT NULL,
  timeout_ms INTEGER NOT NULL,
  backoff_base_ms INTEGER NOT NULL,
  backoff_max_ms INTEGER NOT NULL,
  result TEXT,
  error TEXT,
  progress TEXT,
  lease_id TEXT,
  lease_worker_id TEXT,
  lease_acquired_at INTEGER,
  lease_expires_at INTEGER,
  lease_renewals INTEGER,
  last_seq INTEGER NOT NULL,
  head_hash TEXT NOT NULL,
  receipt_acked_at INTEGER
) WITHOUT ROWID;
CREATE INDEX tasks_claimable ON tasks (tenant_id, priority DESC, run_at, id) WHERE state = 'queued';
CREATE INDEX tasks_expiring ON tasks (lease_expires_at) WHERE state = 'running';
CREATE UNIQUE INDEX tasks_lease ON tasks (lease_id) WHERE lease_id IS NOT NULL;
CREATE UNIQUE INDEX tasks_idempotency ON tasks (tenant_id, idempotency_key)
  WHERE idempotency_key IS NOT NULL;
CREATE INDEX tasks_tenant ON tasks (tenant_id, id);
CREATE INDEX tasks_creator ON tasks (tenant_id, created_by, id);

CREATE TABLE events (
  id INTEGER PRIMARY KEY,
  tenant_id TEXT NOT NULL,
  task_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  type TEXT NOT NULL,
  at INTEGER NOT NULL,
  data TEXT NOT NULL,
  hash TEXT NOT NULL
);
CREATE UNIQUE INDEX events_task_seq ON events (task_id, seq);
CREATE INDEX events_tenant ON events (tenant_id, id);

CREATE TABLE attempts (
  task_id TEXT NOT NULL,
  number INTEGER NOT NULL,
  tenant_id TEXT NOT NULL,
  lease_id TEXT NOT NULL,
  worker_id TEXT NOT NULL,
  started_at INTEGER NOT NULL,
  ended_at INTEGER,
  outcome TEXT,
  error TEXT,
  meta TEXT,
  PRIMARY KEY (task_id, number)
) WITHOUT ROWID;

CREATE TABLE workers (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL,
  name TEXT NOT NULL,
  kinds TEXT NOT NULL,
  labels TEXT NOT NULL,
  capacity INTEGER NOT NULL,
  version TEXT,
  principal_id TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  last_seen_at INTEGER NOT NULL
);
CREATE INDEX workers_tenant ON workers (tenant_id, last_seen_at);

CREATE TABLE signing_keys (
  kid TEXT PRIMARY KEY,
  private_jwk TEXT NOT NULL,
  public_jwk TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  retired_at INTEGER
);
`,
  },
];
