/**
 * True when a statement failed on a unique constraint (SQLSTATE 23505): a name or code that is
 * taken. pg's errors and TypeORM's QueryFailedError both carry the SQLSTATE as `code`.
 */
export function isUniqueViolation(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === '23505';
}
