/** The per-record failure message of a record the listing could not use (no id, not an object). */
export function listingRejectionMessage(reason: string, excerpt: string): string {
  return `rejected by the listing: ${reason} ${excerpt}`;
}

/** The per-record failure message of a record whose unique value an earlier source id already has. */
export function duplicateUniqueMessage(uniqueValue: string, firstSourceId: string): string {
  return `duplicate unique value ${uniqueValue} (also source id ${firstSourceId})`;
}
