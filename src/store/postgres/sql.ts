/**
 * The PostgreSQL store's bulk statements. Each takes arrays (`unnest`) so that one statement
 * writes a whole batch; all values are bound parameters.
 */

export const TASK_COLUMNS = `id, tenant_id, kind, input, queue, priority, state, run_at, created_at,
  updated_at, started_at, finished_at, attempts, max_attempts, labels, requirements,
  idempotency_key, request_hash, created_by, lease_ttl_ms, max_renewals, timeout_ms,
  backoff_base_ms, backoff_max_ms, result, error, progress, lease_id, lease_worker_id,
  lease_acquired_at, lease_expires_at, lease_renewals, last_seq, head_hash, receipt_acked_at`;

/**
 * The tail every write statement shares: the tenant's events, numbered under the tenant's
 * position row lock. Only events of tasks listed in `done` are written. The position row is
 * locked after every task row the statement touches, and held until COMMIT: positions are
 * handed out in commit order, so a reader that saw position n has seen everything below it.
 */
function eventsTail(first: number, done: string): string {
  const p = (i: number) => `$${first + i}`;
  return `ev AS (
  SELECT x.task_id, x.seq, x.type, x.at, x.data, x.hash, row_number() OVER (ORDER BY x.ord) AS k
  FROM unnest(${p(0)}::text[], ${p(1)}::int[], ${p(2)}::text[], ${p(3)}::bigint[], ${p(4)}::text[],
    ${p(5)}::text[]) WITH ORDINALITY AS x(task_id, seq, type, at, data, hash, ord)
  WHERE x.task_id IN (SELECT id FROM ${done})
), n AS (
  SELECT count(*) AS n FROM ev
), pos AS (
  INSERT INTO tenant_positions AS p (tenant_id, last_event_id)
  SELECT $1, n.n FROM n WHERE n.n > 0
  ON CONFLICT (tenant_id) DO UPDATE SET last_event_id = p.last_event_id + excluded.last_event_id
  RETURNING p.last_event_id AS last
), appended AS (
  INSERT INTO events (tenant_id, id, task_id, seq, type, at, data, hash)
  SELECT $1, pos.last - n.n + ev.k, ev.task_id, ev.seq, ev.type, ev.at, ev.data, ev.hash
  FROM pos, n, ev
  RETURNING 1
)`;
}

/**
 * One statement writes everything a plan changed in one tenant: every mutable column of the
 * tasks, the attempts it ends and starts, and the events. Each task row is updated only if it
 * still is as it was read (same lease, last seq and renewal count): the fence in SQL, and what
 * lets lease writes run without holding row locks across round trips. Returns the ids written.
 */
export const WRITE = `
WITH u AS (
  UPDATE tasks t SET state = u.state, run_at = u.run_at, updated_at = u.updated_at,
    started_at = u.started_at, finished_at = u.finished_at, attempts = u.attempts,
    result = u.result, error = u.error, progress = u.progress, lease_id = u.lease_id,
    lease_worker_id = u.lease_worker_id, lease_acquired_at = u.lease_acquired_at,
    lease_expires_at = u.lease_expires_at, lease_renewals = u.lease_renewals,
    last_seq = u.last_seq, head_hash = u.head_hash
  FROM unnest($2::text[], $3::text[], $4::bigint[], $5::bigint[], $6::bigint[], $7::bigint[],
    $8::int[], $9::text[], $10::text[], $11::text[], $12::text[], $13::text[], $14::bigint[],
    $15::bigint[], $16::int[], $17::int[], $18::text[], $19::text[], $20::int[], $21::int[])
    AS u(id, state, run_at, updated_at, started_at, finished_at, attempts, result, error,
      progress, lease_id, lease_worker_id, lease_acquired_at, lease_expires_at, lease_renewals,
      last_seq, head_hash, base_lease_id, base_last_seq, base_renewals)
  -- The primary key must find the rows: with fresh statistics on a just-filled table the
  -- planner would rather scan a tenant index (all of the tenant's rows), so the tenant fence is
  -- written as an expression no index serves.
  WHERE t.id = ANY($2::text[]) AND t.id = u.id AND (t.tenant_id || '') = $1
    AND t.lease_id IS NOT DISTINCT FROM u.base_lease_id
    AND t.last_seq = u.base_last_seq
    AND t.lease_renewals IS NOT DISTINCT FROM u.base_renewals
  RETURNING t.id
), ended AS (
  UPDATE attempts a SET ended_at = x.ended_at, outcome = x.outcome, error = x.error
  FROM unnest($22::text[], $23::text[], $24::bigint[], $25::text[], $26::text[])
    AS x(task_id, lease_id, ended_at, outcome, error)
  WHERE a.task_id = x.task_id AND a.lease_id = x.lease_id AND a.ended_at IS NULL
    AND x.task_id IN (SELECT id FROM u)
  RETURNING 1
), started AS (
  INSERT INTO attempts (task_id, number, tenant_id, lease_id, worker_id, started_at)
  SELECT x.task_id,
    COALESCE((SELECT max(number) FROM attempts p WHERE p.task_id = x.task_id), 0) + 1,
    $1, x.lease_id, x.worker_id, x.started_at
  FROM unnest($27::text[], $28::text[], $29::text[], $30::bigint[])
    AS x(task_id, lease_id, worker_id, started_at)
  WHERE x.task_id IN (SELECT id FROM u)
  RETURNING 1
), ${eventsTail(31, "u")}
SELECT id FROM u`;

/** One statement creates one tenant's tasks and their `task.created` events. */
export const CREATE = `
WITH made AS (
  INSERT INTO tasks (id, tenant_id, kind, input, queue, priority, state, run_at, created_at,
    updated_at, attempts, max_attempts, labels, requirements, idempotency_key, request_hash,
    created_by, lease_ttl_ms, max_renewals, timeout_ms, backoff_base_ms, backoff_max_ms,
    last_seq, head_hash)
  SELECT id, $1, kind, input, queue, priority, 'queued', run_at, created_at, created_at, 0,
    max_attempts, labels,
    CASE WHEN requirements IS NULL THEN NULL
      ELSE ARRAY(SELECT json_array_elements_text(requirements::json)) END,
    idempotency_key, request_hash, created_by, lease_ttl_ms, max_renewals, timeout_ms,
    backoff_base_ms, backoff_max_ms, 1, head_hash
  FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::int[], $7::bigint[],
    $8::bigint[], $9::int[], $10::text[], $11::text[], $12::text[], $13::text[], $14::text[],
    $15::bigint[], $16::int[], $17::bigint[], $18::bigint[], $19::bigint[], $20::text[])
    AS x(id, kind, input, queue, priority, run_at, created_at, max_attempts, labels,
      requirements, idempotency_key, request_hash, created_by, lease_ttl_ms, max_renewals,
      timeout_ms, backoff_base_ms, backoff_max_ms, head_hash)
  RETURNING id
), ${eventsTail(21, "made")}
SELECT count(*)::int AS n FROM made`;
