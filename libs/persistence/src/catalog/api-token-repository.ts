import type { Sql } from '../db';

/** Table api_token: the API's bearer tokens (only their hashes). */
export class ApiTokenRepository {
  constructor(private readonly db: Sql) {}
}
