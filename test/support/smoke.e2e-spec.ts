import { Client } from 'pg';
test('db', async () => { const c = new Client({ connectionString: process.env.DATABASE_URL }); await c.connect(); const r = await c.query('select count(*) from typeorm_migrations'); expect(Number(r.rows[0].count)).toBe(1); await c.end(); });
