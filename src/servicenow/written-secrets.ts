import { createHmac, randomBytes } from 'node:crypto';

/**
 * A secret cannot be read back from ServiceNow, only its encrypted form, and that form changes
 * whenever anyone writes the column. So once this process has written a secret it keeps what
 * the column read right after (the stored form) beside a keyed digest of the secret: a later
 * lookup that reads the same stored form, for the same secret, proves nothing needs sending.
 * Anything else (another process wrote it, an admin changed it, an instance that reads back
 * nothing) sends the secret again, as before. The digest's key lives and dies with the process.
 */
export class WrittenSecrets {
  private readonly key = randomBytes(32);
  private readonly stored = new Map<string, { digest: string; storedForm: string }>();

  constructor(private readonly capacity = 1_000) {}

  /** After a write that sent `secret`: `storedForm` is the column as the write's answer read. */
  remember(table: string, sysId: string, column: string, secret: string, storedForm: unknown): void {
    const entry = this.entry(table, sysId, column);
    this.stored.delete(entry);
    // Nothing to compare later when the instance reads back nothing, or the secret itself.
    if (typeof storedForm !== 'string' || storedForm === '' || storedForm === secret) return;
    this.stored.set(entry, { digest: this.digest(secret), storedForm });
    if (this.stored.size > this.capacity) this.stored.delete(this.stored.keys().next().value!);
  }

  /** Whether the column still holds `secret` as this process wrote it. */
  holds(table: string, sysId: string, column: string, secret: string, storedForm: unknown): boolean {
    const known = this.stored.get(this.entry(table, sysId, column));
    return known !== undefined && known.storedForm === storedForm && known.digest === this.digest(secret);
  }

  private entry(table: string, sysId: string, column: string): string {
    return `${table}/${sysId}/${column}`;
  }

  private digest(secret: string): string {
    return createHmac('sha256', this.key).update(secret).digest('base64');
  }
}
