/** A SCIM resource as read from the server; `id` is always a non-empty string. */
export interface ScimResource {
  id: string;
  schemas?: string[];
  meta?: { resourceType?: string; created?: string; lastModified?: string; version?: string; location?: string };
  [attribute: string]: unknown;
}

/** One entry of a group's `members` attribute; `value` is always a string. */
export interface ScimMember {
  value: string;
  /** `User` or `Group` (nested groups); absent on many servers. */
  type?: string;
  display?: string;
  $ref?: string;
}

/** A record the listing refused to pass on (e.g. no `id`), with a short excerpt for the run report. */
export interface RejectedRecord {
  reason: string;
  excerpt: string;
}
