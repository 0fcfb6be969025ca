import { Column, CreateDateColumn, Entity, PrimaryColumn, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

export type TokenScope = 'read' | 'admin';

@Entity('api_token')
export class ApiTokenEntity {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column('text') name: string;
  @Column('text') scope: TokenScope;
  @Column('text', { name: 'token_hash' }) tokenHash: string;
  @Column('boolean', { default: false }) bootstrap: boolean;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
  @Column('timestamptz', { name: 'last_used_at', nullable: true }) lastUsedAt: Date | null;
  @Column('timestamptz', { name: 'revoked_at', nullable: true }) revokedAt: Date | null;
}

export interface ConnectorAuthPublic {
  username?: string;
  clientId?: string;
  tokenUrl?: string;
  scope?: string;
}

@Entity('connector')
export class ConnectorEntity {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column('text') name: string;
  @Column('text', { name: 'base_url' }) baseUrl: string;
  @Column('text', { name: 'auth_type' }) authType: 'basic' | 'bearer' | 'oauth2';
  @Column('jsonb', { name: 'auth_public' }) authPublic: ConnectorAuthPublic;
  @Column('text', { name: 'secret_ciphertext' }) secretCiphertext: string;
  @Column('integer', { name: 'page_size' }) pageSize: number;
  @Column('integer', { name: 'timeout_ms' }) timeoutMs: number;
  @Column('double precision', { name: 'rate_limit_per_second', nullable: true }) rateLimitPerSecond: number | null;
  /** largest SCIM answer (one page) read, in bytes; null = the client's default */
  @Column('integer', { name: 'max_response_bytes', nullable: true }) maxResponseBytes: number | null;
  @Column('jsonb', { nullable: true }) tls: { caPem?: string; rejectUnauthorized?: boolean } | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt: Date;
}

export interface TemplateAttribute {
  code: string;
  name: string;
  type: 'string' | 'number' | 'boolean' | 'datetime' | 'reference';
  multiple?: boolean;
}

@Entity('template')
export class TemplateEntity {
  @PrimaryColumn('text') code: string;
  @Column('text') name: string;
  @Column('jsonb') attributes: TemplateAttribute[];
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
}

@Entity('folder')
export class FolderEntity {
  @PrimaryColumn('text') code: string;
  @Column('text') name: string;
  @Column('text', { name: 'template_code' }) templateCode: string;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
}

@Entity('import_task')
export class ImportTaskEntity {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column('text') name: string;
  @Column('uuid', { name: 'connector_id' }) connectorId: string;
  @Column('text') usage: string;
  @Column('text') type: 'full' | 'incremental';
  @Column('text', { name: 'mappings_type' }) mappingsType: string;
  @Column('jsonb', { nullable: true }) schedule: { cron?: string; timezone?: string; everyMinutes?: number } | null;
  @Column('boolean') enabled: boolean;
  /** filters, failure, identity, access, generic, cache, safety — as in the API's Task */
  @Column('jsonb') config: Record<string, unknown>;
  @Column('integer', { name: 'config_version' }) configVersion: number;
  @Column('timestamptz', { nullable: true }) watermark: Date | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt: Date;
}

@Entity('datacard')
export class DatacardEntity {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column('text', { name: 'template_code' }) templateCode: string;
  @Column('text', { name: 'folder_code' }) folderCode: string;
  @Column('text', { name: 'unique_value' }) uniqueValue: string;
  @Column('jsonb') attributes: Record<string, unknown>;
  @Column('uuid', { name: 'task_id', nullable: true }) taskId: string | null;
  @Column('text') status: string;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt: Date;
}

export interface RunStats {
  fetched: number;
  created: number;
  updated: number;
  unchanged: number;
  removed: number;
  failed: number;
}

@Entity('run')
export class RunEntity {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column('uuid', { name: 'task_id' }) taskId: string;
  @Column('text', { name: 'workflow_id' }) workflowId: string;
  @Column('text', { name: 'temporal_run_id', nullable: true }) temporalRunId: string | null;
  @Column('text') mode: 'full' | 'incremental';
  @Column('text') trigger: 'schedule' | 'manual' | 'retry';
  @Column('text') status: 'running' | 'succeeded' | 'failed' | 'cancelled';
  @Column('text', { nullable: true }) phase: string | null;
  @Column('timestamptz', { name: 'started_at' }) startedAt: Date;
  @Column('timestamptz', { name: 'finished_at', nullable: true }) finishedAt: Date | null;
  @Column('jsonb') stats: RunStats;
  @Column('jsonb', { nullable: true }) error: { type: string; message: string } | null;
  @Column('uuid', { name: 'retry_of', nullable: true }) retryOf: string | null;
  @Column('jsonb', { name: 'config_snapshot', nullable: true }) configSnapshot: Record<string, unknown> | null;
  @Column('jsonb', { name: 'extract_reports' }) extractReports: unknown[];
  @Column('jsonb', { nullable: true }) removal: Record<string, unknown> | null;
  @Column('jsonb') notes: string[];
}

export const ENTITIES = [ApiTokenEntity, ConnectorEntity, TemplateEntity, FolderEntity, ImportTaskEntity, DatacardEntity, RunEntity];
