/**
 * One cached table: rows by key, each with the version the database gave it. A row can reach a
 * replica twice and in either order (the RETURNING of its own write, and the change notice), so
 * an older version never replaces a newer one, and a deleted row is remembered (a tombstone) so a
 * late copy of it does not bring it back.
 *
 * `inPlace`: a newer version is written into the object already handed out rather than replacing
 * it, for records the file store edits in place (setups, requests, rotations), whose callers may hold one
 * across a write.
 */
export class VersionedMap<V> {
  private readonly entries = new Map<string, { version: number; value: V; touched: number }>();
  private readonly tombstones = new Map<string, { version: number; touched: number }>();
  /** Counts changes, so a reload can tell what changed while it read (see replaceAll). */
  private clock = 0;

  constructor(private readonly inPlace = false) {}

  get(key: string): V | undefined {
    return this.entries.get(key)?.value;
  }

  /** The version of the row kept for `key`, if one is. */
  versionOf(key: string): number | undefined {
    return this.entries.get(key)?.version;
  }

  has(key: string): boolean {
    return this.entries.has(key);
  }

  get size(): number {
    return this.entries.size;
  }

  *values(): IterableIterator<V> {
    for (const entry of this.entries.values()) yield entry.value;
  }

  *keyed(): IterableIterator<[string, V]> {
    for (const [key, entry] of this.entries) yield [key, entry.value];
  }

  /** Keeps `value` unless a newer version is already here (or was deleted); returns what is kept. */
  put(key: string, version: number, value: V): V | undefined {
    const touched = ++this.clock;
    const gone = this.tombstones.get(key);
    if (gone && gone.version >= version) return undefined;
    this.tombstones.delete(key);
    const current = this.entries.get(key);
    if (current && current.version >= version) return current.value;
    const kept = current && this.inPlace ? overwrite(current.value, value) : value;
    this.entries.set(key, { version, value: kept, touched });
    return kept;
  }

  /** Forgets `key` unless the version here is newer than the one deleted. */
  drop(key: string, version: number): void {
    const touched = ++this.clock;
    const current = this.entries.get(key);
    if (current && current.version > version) return;
    this.entries.delete(key);
    this.tombstones.set(key, { version, touched });
  }

  /** A mark to pass to replaceAll: changes after it are newer than a read started after it. */
  mark(): number {
    return this.clock;
  }

  /**
   * Replaces the table with `rows`, read after `since` was taken: a row missing from them is
   * dropped unless it changed here after `since` (written or noticed while the read ran).
   */
  replaceAll(rows: Iterable<{ key: string; version: number; value: V }>, since: number): void {
    const seen = new Set<string>();
    for (const [key, gone] of this.tombstones) if (gone.touched <= since) this.tombstones.delete(key);
    for (const row of rows) {
      seen.add(row.key);
      this.put(row.key, row.version, row.value);
    }
    for (const [key, entry] of this.entries) if (!seen.has(key) && entry.touched <= since) this.entries.delete(key);
  }
}

/** Makes `target` hold exactly what `source` holds, keeping `target` the same object. */
function overwrite<V>(target: V, source: V): V {
  if (typeof target !== 'object' || target === null || typeof source !== 'object' || source === null) return source;
  for (const key of Object.keys(target)) if (!Object.hasOwn(source, key)) delete (target as Record<string, unknown>)[key];
  Object.assign(target, source);
  return target;
}
