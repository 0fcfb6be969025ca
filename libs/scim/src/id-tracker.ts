/**
 * Remembers which resource ids a listing has already delivered, so duplicates caused by
 * paging over changing data are dropped and the distinct count can be checked against
 * `totalResults`.
 *
 * A persistent tracker (e.g. rows in a staging table) must make `add` durable together with
 * the staging of that page's records, ideally in one statement
 * (`INSERT … ON CONFLICT DO NOTHING RETURNING id`): an id recorded as seen whose record was
 * never staged is skipped when the listing resumes after a crash.
 */
export interface IdTracker {
  /** Records ids; resolves to how many of them were not seen before. */
  add(ids: string[]): Promise<number>;
  /** How many distinct ids have been recorded. */
  size(): Promise<number>;
  /**
   * Optional: records ids and resolves to exactly the ones that were new. Without it, a page
   * that is only partly duplicate is passed on whole (its duplicates still counted).
   */
  addNew?(ids: string[]): Promise<string[]>;
}

/** The default tracker: a Set in memory, which is fine for one process reading up to a few million ids. */
export class InMemoryIdTracker implements IdTracker {
  private readonly ids = new Set<string>();

  async add(ids: string[]): Promise<number> {
    return (await this.addNew(ids)).length;
  }

  addNew(ids: string[]): Promise<string[]> {
    const fresh: string[] = [];
    for (const id of ids) {
      if (!this.ids.has(id)) {
        this.ids.add(id);
        fresh.push(id);
      }
    }
    return Promise.resolve(fresh);
  }

  size(): Promise<number> {
    return Promise.resolve(this.ids.size);
  }

  /** True when the id was recorded (tests and diagnostics). */
  has(id: string): boolean {
    return this.ids.has(id);
  }

  /** All recorded ids, in insertion order. */
  values(): string[] {
    return [...this.ids];
  }
}
