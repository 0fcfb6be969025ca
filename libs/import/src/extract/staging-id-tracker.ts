import type { ResourceKind } from '@app/temporal';
import type { IdTracker } from '@app/scim';
import type { StagingRepository } from '@app/persistence';

/**
 * IdTracker backed by staging_record, so de-duplication survives activity retries and memory
 * stays flat. `addNew` only reads: ids become "seen" when their page is staged (stagePage), in
 * the same transaction as the checkpoint, so a crash between the two never hides a record.
 * Ids handed out but not yet staged are held until their page is staged (a few pages at most).
 */
export class StagingIdTracker implements IdTracker {
  private pending = new Set<string>();

  constructor(
    private readonly staging: StagingRepository,
    private readonly runId: string,
    private readonly resource: ResourceKind,
    private persisted: number,
  ) {}

  async add(ids: string[]): Promise<number> {
    return (await this.addNew(ids)).length;
  }

  async addNew(ids: string[]): Promise<string[]> {
    // Pending ids are taken before the query: a page whose write commits while the query runs
    // leaves `pending` only after its commit, so each id is either in this snapshot or visible
    // to the query. Checking `pending` afterwards would miss such a page's ids on both sides.
    const pendingBefore = ids.filter((id) => this.pending.has(id));
    const known = await this.staging.existingIds(this.runId, this.resource, ids);
    for (const id of pendingBefore) known.add(id);
    const fresh: string[] = [];
    for (const id of ids) {
      if (known.has(id) || this.pending.has(id)) continue;
      this.pending.add(id);
      fresh.push(id);
    }
    return fresh;
  }

  size(): Promise<number> {
    return Promise.resolve(this.persisted + this.pending.size);
  }

  /**
   * Called after a page was staged: its ids are now counted by the database. Only that page's ids
   * leave `pending`: the next page may already have been read (extract reads one page ahead).
   */
  committed(ids: string[], inserted: number): void {
    this.persisted += inserted;
    for (const id of ids) this.pending.delete(id);
  }
}
