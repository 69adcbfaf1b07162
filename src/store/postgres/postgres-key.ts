import type pg from 'pg';
import { SecretBox, sealedSchema, type Sealed } from '../secret-box.js';
import { connectionCredentialBinding, keyCheckOpens, opens, sealKeyCheck, setupSecretBinding } from '../store-key.js';
import { PostgresStoreKeyError } from './postgres-errors.js';

/**
 * The database's key, proven at open, as store-key.ts proves a store file's: a known text sealed
 * under the key is kept in `store_meta` ('key_check'), and a replica started with any other key is
 * refused before it writes anything. The check is the file store's, so a key check copied from a
 * lowdb store (spokebot store migrate) proves the same key here.
 */
const KEY_CHECK_ROW = 'key_check';

/** The `store_meta` value that proves `key`: what a fresh database, or a copy into one, stores. */
export function sealedKeyCheck(key: Buffer): Sealed {
  return sealKeyCheck(new SecretBox(key));
}

function checkOpens(box: SecretBox, value: unknown, location: string): void {
  const sealed = sealedSchema.safeParse(value);
  if (!sealed.success) throw new PostgresStoreKeyError(location, 'its key check in store_meta is not a sealed value');
  if (!keyCheckOpens(box, sealed.data)) throw new PostgresStoreKeyError(location, 'its key check does not open with it');
}

/**
 * A database without a key check (one filled by hand, or by an older copy) is proven by every
 * secret it holds, as a store file from before the check is: any one that does not open means
 * the key is not the one they were sealed with.
 */
async function proveBySecrets(client: pg.ClientBase, box: SecretBox, location: string): Promise<void> {
  const { rows } = await client.query<{ kind: 'setup' | 'connection'; id: string; sealed: unknown }>(
    `SELECT 'setup' AS kind, id, doc -> 'sealedSecret' AS sealed FROM setups WHERE doc ? 'sealedSecret'
     UNION ALL
     SELECT 'connection', name, doc -> 'sealedCredential' FROM connections WHERE doc ? 'sealedCredential'`,
  );
  const refused = rows.filter((row) => {
    const sealed = sealedSchema.safeParse(row.sealed);
    const boundTo = row.kind === 'setup' ? setupSecretBinding(row.id) : connectionCredentialBinding(row.id);
    return !sealed.success || opens(box, sealed.data, boundTo) === undefined;
  }).length;
  if (refused > 0) throw new PostgresStoreKeyError(location, `${refused} of its ${rows.length} sealed secrets do not open with it`);
}

/**
 * Proves `key` against the database, writing the key check when there is none yet. Throws
 * PostgresStoreKeyError (a StoreKeyError) having written nothing. Two replicas opening a fresh
 * database with different keys at once: one writes its check, the other is refused by it.
 */
export async function proveDatabaseKey(pool: pg.Pool, key: Buffer, location: string): Promise<'proven' | 'written'> {
  const box = new SecretBox(key);
  const client = await pool.connect();
  try {
    const found = await client.query<{ value: unknown }>('SELECT value FROM store_meta WHERE key = $1', [KEY_CHECK_ROW]);
    if (found.rows[0]) {
      checkOpens(box, found.rows[0].value, location);
      return 'proven';
    }
    await proveBySecrets(client, box, location);
    const inserted = await client.query('INSERT INTO store_meta (key, value) VALUES ($1, $2::jsonb) ON CONFLICT (key) DO NOTHING', [
      KEY_CHECK_ROW,
      JSON.stringify(sealedKeyCheck(key)),
    ]);
    if (inserted.rowCount === 1) return 'written';
    // Another replica wrote its check between our look and our insert: ours must open it too.
    const raced = await client.query<{ value: unknown }>('SELECT value FROM store_meta WHERE key = $1', [KEY_CHECK_ROW]);
    checkOpens(box, raced.rows[0]?.value, location);
    return 'proven';
  } finally {
    client.release();
  }
}
