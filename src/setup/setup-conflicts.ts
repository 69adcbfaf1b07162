import { SpokeError } from '../errors.js';
import type { PendingSetup } from '../store/spoke-store.js';

/**
 * Another admin's setup holds this connection name (from its plan until it ends). Two setups of
 * one name write the same ServiceNow records, so the second Confirm would put its client ID and
 * secret into the first admin's application registry. `holder` is the setup that holds it; the
 * message mentions its admin by Slack id, which the form shows as a mention.
 */
export class ConnectionNameHeldError extends SpokeError {
  readonly code = 'name_held';
  readonly hint: string;
  constructor(
    readonly connectionName: string,
    readonly holder: Pick<PendingSetup, 'userId' | 'createdAt'>,
    now: Date,
  ) {
    super(`${connectionName} is being set up by <@${holder.userId}> since ${sinceText(holder.createdAt, now)}`);
    this.hint = 'Pick another name or wait until that setup ends.';
  }

  /** One line for the field under the name: "X is being set up by @ada since …; pick another name or wait." */
  get advice(): string {
    return `${this.message}; pick another name or wait until that setup ends (connected, cancelled or expired).`;
  }
}

/** The setup ended (cancelled, expired, replaced) while a step ran for it: nothing more to show. */
export class SetupEndedError extends SpokeError {
  readonly code = 'setup_ended';
  readonly hint = 'Nothing to do: the setup ended meanwhile.';
  constructor(readonly status: PendingSetup['status']) {
    super(`the setup ended meanwhile (${status.replace(/_/g, ' ')})`);
  }
}

/** "14:05 UTC", or "2026-11-30 14:05 UTC" for a setup started on another day. */
function sinceText(iso: string, now: Date): string {
  const at = new Date(iso);
  if (Number.isNaN(at.getTime())) return iso;
  const time = `${at.toISOString().slice(11, 16)} UTC`;
  return at.toISOString().slice(0, 10) === now.toISOString().slice(0, 10) ? time : `${at.toISOString().slice(0, 10)} ${time}`;
}
