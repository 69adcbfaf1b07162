/**
 * The fixed keys of spokebot's PostgreSQL advisory locks, in one place so no two uses collide.
 * Arbitrary constants ("spokebot" in ASCII, then a number); the name locks use the two-integer
 * form, which PostgreSQL keeps apart from these single-bigint keys.
 */

/** Held for a session while migrations run: a replica starting meanwhile waits, then finds nothing to do. */
export const MIGRATION_LOCK = 0x73706f6b65620001n;

/** Held for a transaction while an audit entry is appended: seq and prev chain without gaps across replicas. */
export const AUDIT_APPEND_LOCK = 0x73706f6b65620002n;

/** First half of a connection-name lock (the second is hashtext of the name key): planSetup's serialisation. */
export const NAME_LOCK_SPACE = 0x73706f6b;
