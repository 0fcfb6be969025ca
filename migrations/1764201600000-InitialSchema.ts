import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Configuration, target store, runs, staging and task cache. */
export class InitialSchema1764201600000 implements MigrationInterface {
  name = 'InitialSchema1764201600000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE api_token (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      name text NOT NULL,
      scope text NOT NULL CHECK (scope IN ('read','admin')),
      token_hash text NOT NULL UNIQUE,
      bootstrap boolean NOT NULL DEFAULT false,
      created_at timestamptz NOT NULL DEFAULT now(),
      last_used_at timestamptz,
      revoked_at timestamptz)`);

    await q.query(`CREATE TABLE connector (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      name text NOT NULL UNIQUE,
      base_url text NOT NULL,
      auth_type text NOT NULL CHECK (auth_type IN ('basic','bearer','oauth2')),
      auth_public jsonb NOT NULL DEFAULT '{}'::jsonb,
      secret_ciphertext text NOT NULL,
      page_size integer NOT NULL DEFAULT 200,
      timeout_ms integer NOT NULL DEFAULT 30000,
      rate_limit_per_second double precision,
      tls jsonb,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now())`);

    await q.query(`CREATE TABLE template (
      code text PRIMARY KEY,
      name text NOT NULL,
      attributes jsonb NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now())`);

    await q.query(`CREATE TABLE folder (
      code text PRIMARY KEY,
      name text NOT NULL,
      template_code text NOT NULL REFERENCES template(code),
      created_at timestamptz NOT NULL DEFAULT now())`);

    await q.query(`CREATE TABLE import_task (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      name text NOT NULL UNIQUE,
      connector_id uuid NOT NULL REFERENCES connector(id),
      usage text NOT NULL,
      type text NOT NULL CHECK (type IN ('full','incremental')),
      mappings_type text NOT NULL,
      schedule jsonb,
      enabled boolean NOT NULL DEFAULT true,
      config jsonb NOT NULL,
      config_version integer NOT NULL DEFAULT 1,
      watermark timestamptz,
      -- run-now and retry requests waiting for the next prepareRun of this task
      pending_trigger jsonb,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now())`);

    await q.query(`CREATE TABLE datacard (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      template_code text NOT NULL REFERENCES template(code),
      folder_code text NOT NULL REFERENCES folder(code),
      unique_value text NOT NULL,
      attributes jsonb NOT NULL DEFAULT '{}'::jsonb,
      task_id uuid,
      status text NOT NULL DEFAULT 'active',
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT datacard_template_unique UNIQUE (template_code, unique_value))`);
    await q.query(`CREATE INDEX datacard_task_idx ON datacard (task_id, template_code)`);
    await q.query(`CREATE INDEX datacard_folder_idx ON datacard (folder_code, id)`);

    await q.query(`CREATE TABLE datacard_link (
      datacard_id uuid NOT NULL REFERENCES datacard(id) ON DELETE CASCADE,
      attribute_code text NOT NULL,
      target_id uuid NOT NULL REFERENCES datacard(id) ON DELETE CASCADE,
      PRIMARY KEY (datacard_id, attribute_code, target_id))`);
    await q.query(`CREATE INDEX datacard_link_target_idx ON datacard_link (target_id)`);

    // which tasks saw a datacard, and in which run: removal only when no owner still sees it
    await q.query(`CREATE TABLE datacard_sighting (
      datacard_id uuid NOT NULL REFERENCES datacard(id) ON DELETE CASCADE,
      task_id uuid NOT NULL,
      last_run_id uuid NOT NULL,
      last_seen_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (datacard_id, task_id))`);
    await q.query(`CREATE INDEX datacard_sighting_task_idx ON datacard_sighting (task_id, last_run_id)`);

    await q.query(`CREATE TABLE task_cache (
      task_id uuid NOT NULL,
      kind text NOT NULL,
      unique_value text NOT NULL,
      hash text NOT NULL,
      pushed_at timestamptz NOT NULL,
      PRIMARY KEY (task_id, kind, unique_value))`);

    await q.query(`CREATE TABLE run (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      task_id uuid NOT NULL,
      workflow_id text NOT NULL,
      temporal_run_id text,
      mode text NOT NULL CHECK (mode IN ('full','incremental')),
      trigger text NOT NULL CHECK (trigger IN ('schedule','manual','retry')),
      status text NOT NULL CHECK (status IN ('running','succeeded','failed','cancelled')),
      phase text,
      started_at timestamptz NOT NULL DEFAULT now(),
      finished_at timestamptz,
      stats jsonb NOT NULL DEFAULT '{"fetched":0,"created":0,"updated":0,"unchanged":0,"removed":0,"failed":0}'::jsonb,
      error jsonb,
      retry_of uuid REFERENCES run(id),
      config_snapshot jsonb,
      extract_reports jsonb NOT NULL DEFAULT '[]'::jsonb,
      removal jsonb,
      notes jsonb NOT NULL DEFAULT '[]'::jsonb,
      CONSTRAINT run_workflow_unique UNIQUE (workflow_id))`);
    await q.query(`CREATE INDEX run_task_idx ON run (task_id, started_at DESC, id)`);
    // one running run per task, enforced by the database as well as by the schedule's overlap policy
    await q.query(`CREATE UNIQUE INDEX run_one_running_per_task ON run (task_id) WHERE status = 'running'`);

    await q.query(`CREATE TABLE run_record (
      id bigserial PRIMARY KEY,
      run_id uuid NOT NULL REFERENCES run(id) ON DELETE CASCADE,
      kind text NOT NULL,
      source_id text,
      unique_value text,
      datacard_id uuid,
      outcome text NOT NULL CHECK (outcome IN ('created','updated','unchanged','removed','failed')),
      message text)`);
    await q.query(`CREATE INDEX run_record_outcome_idx ON run_record (run_id, outcome, id)`);

    // per-run staging; UNLOGGED because it is rebuilt from the source if lost
    await q.query(`CREATE UNLOGGED TABLE staging_record (
      run_id uuid NOT NULL,
      resource text NOT NULL,
      source_id text NOT NULL,
      raw jsonb NOT NULL,
      unique_value text,
      mapped jsonb,
      hash text,
      members jsonb,
      decision text,
      message text,
      PRIMARY KEY (run_id, resource, source_id))`);
  }

  public async down(q: QueryRunner): Promise<void> {
    for (const table of [
      'staging_record', 'run_record', 'run', 'task_cache', 'datacard_sighting', 'datacard_link',
      'datacard', 'import_task', 'folder', 'template', 'connector', 'api_token',
    ]) {
      await q.query(`DROP TABLE IF EXISTS ${table}`);
    }
  }
}
