import pg from 'pg';
import { SecretBox, sealedSchema } from '../store/secret-box.js';
import { keyCheckOpens } from '../store/store-key.js';
import { databaseAuditBytes } from '../store/postgres/database-audit-export.js';
import { probeDatabase } from '../store/postgres/database-probe.js';
import { readMigrations } from '../store/postgres/migrate.js';
import { redactDatabaseUrl } from '../store/postgres/postgres-url.js';
import { fail, ok, warn, type CheckResult } from './check-result.js';
import { auditChainRow } from './store-check.js';

/**
 * Store rows for a PostgreSQL store (SPOKE_DATABASE_URL): reachable with the role, its migrations
 * against the files, the key against the key check, the audit table's chain. Read-only: nothing
 * is migrated or written, so it is safe beside running replicas.
 */
export async function databaseChecks(url: string, key: Buffer): Promise<CheckResult[]> {
  const where = redactDatabaseUrl(url);
  const probe = await probeDatabase(url);
  if (!probe.ok) {
    const problem = 'refused' in probe ? probe.refused : probe.unreachable;
    return [fail('Store', 'database', problem.message, problem.hint)];
  }
  const rows: CheckResult[] = [ok('Store', 'database', `${where} answers`)];
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => undefined);
  await client.connect();
  try {
    const applied = await appliedVersions(client);
    rows.push(await migrationsRow(applied));
    if (applied.length === 0) return rows;
    rows.push(await keyRow(client, key, where));
  } finally {
    await client.end().catch(() => undefined);
  }
  rows.push(auditChainRow(await databaseAuditBytes(url), `${where} audit_log`));
  return rows;
}

async function appliedVersions(client: pg.Client): Promise<number[]> {
  const { rows } = await client.query<{ exists: boolean }>("SELECT to_regclass('spokebot_migrations') IS NOT NULL AS exists");
  if (!rows[0]?.exists) return [];
  const applied = await client.query<{ version: number }>('SELECT version FROM spokebot_migrations ORDER BY version');
  return applied.rows.map((r) => Number(r.version));
}

async function migrationsRow(applied: readonly number[]): Promise<CheckResult> {
  const files = (await readMigrations()).map((m) => m.version);
  const unknown = applied.filter((v) => !files.includes(v));
  if (unknown.length > 0) return fail('Store', 'migrations', `the database has migration ${unknown.join(', ')}, which these files do not`, 'A newer spokebot migrated it: run that version (or newer) on every replica.');
  const missing = files.filter((v) => !applied.includes(v));
  if (applied.length === 0) return ok('Store', 'migrations', `an empty database; the first start applies ${files.length} migrations`);
  if (missing.length > 0) return warn('Store', 'migrations', `${missing.length} of ${files.length} migrations not applied yet (${missing.join(', ')})`, 'The next start applies them, under a lock, once.');
  return ok('Store', 'migrations', `all ${files.length} applied`);
}

async function keyRow(client: pg.Client, key: Buffer, where: string): Promise<CheckResult> {
  const { rows } = await client.query<{ value: unknown }>("SELECT value FROM store_meta WHERE key = 'key_check'");
  if (rows.length === 0) return ok('Store', 'encryption key', 'no key check yet; the first start writes it');
  const sealed = sealedSchema.safeParse(rows[0]!.value);
  if (sealed.success && keyCheckOpens(new SecretBox(key), sealed.data)) return ok('Store', 'encryption key', `${where} opens with SPOKE_ENCRYPTION_KEY`);
  return fail('Store', 'encryption key', `SPOKE_ENCRYPTION_KEY did not seal ${where}`, 'Set SPOKE_ENCRYPTION_KEY to the key every replica uses (from your backup of it).');
}
