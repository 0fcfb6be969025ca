/** Shared helpers for the SCIM client integration tests (not a test file itself). */
import type { CompletenessReport, ResourceListing, ScimLogger, ScimPage } from '../../libs/scim/src';

/** Reads a listing to the end (or `stopAfter` pages) and returns every delivered id in order. */
export async function readListing(
  listing: ResourceListing,
  stopAfter = Number.POSITIVE_INFINITY,
): Promise<{ ids: string[]; pages: ScimPage[]; report: CompletenessReport }> {
  const ids: string[] = [];
  const pages: ScimPage[] = [];
  for await (const page of listing.pages()) {
    pages.push(page);
    for (const r of page.resources) ids.push(r.id);
    if (pages.length >= stopAfter) break;
  }
  return { ids, pages, report: listing.report() };
}

/** A logger that keeps every line so tests can check what was (and was not) logged. */
export function recordingLogger(): ScimLogger & { lines: string[] } {
  const lines: string[] = [];
  const record = (level: string) => (msg: string, meta?: object) => {
    lines.push(`${level} ${msg} ${meta ? JSON.stringify(meta) : ''}`);
  };
  return { lines, debug: record('debug'), warn: record('warn') };
}

/** Sorted copy, so id sets compare independently of server order. */
export function sorted(ids: Iterable<string>): string[] {
  return [...ids].sort();
}

/** Fails when an id occurs twice: listings must deliver each id once. */
export function expectNoDuplicates(ids: string[]): void {
  expect(new Set(ids).size).toBe(ids.length);
}
