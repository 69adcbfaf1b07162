import type { WebClient } from '@slack/web-api';
import type { PendingSetup, Rotation } from '../../store/spoke-store.js';
import { rotationLease, setupLease } from '../../setup/work-leases.js';
import { rotationInterruptedMessage } from '../blocks/recovery-messages.js';
import type { SlackDeps } from '../deps.js';
import { ReconsentRunner } from './reconsent-runner.js';
import { SetupRunner } from './setup-runner.js';
import { SetupSweep } from './setup-sweep.js';

/**
 * What becomes of work a process left unfinished (a crash, kill -9, a deploy, a replica that
 * died): every setup and rotation that was on its way somewhere is resumed or reported to its
 * admin, so nothing waits in silence and no secret outlives its use. README, "How a setup
 * behaves", lists each case.
 *
 * Work is taken only under its lease (setup/work-leases.ts): with one process every lease is free
 * at start; with replicas sharing a store, a replica takes only work whose lease ran out, and
 * looks again every tick (`takeOverOrphans`), so a dead replica's setup is finished or reported
 * by another within one check interval.
 */
export class RestartRecovery {
  constructor(
    private readonly deps: SlackDeps,
    private readonly client: WebClient,
    /** How long work must have stood still (its lease's length) before a replica may take it. */
    private readonly leaseMs: number,
  ) {}

  /**
   * At start. What this takes is settled in the store before this returns, and so before the bot
   * takes Slack traffic: a write that a click starts in this run must never be taken for one the
   * last run left. Telling the admins and watching run in the background.
   */
  async run(): Promise<void> {
    // Expiry first: a setup that sat idle through the outage is reported as expired, not resumed.
    const expired = await this.deps.setup.expire();
    this.deps.tasks.run('setup.report_expired', () => new SetupSweep(this.deps, this.client).report(expired));
    await this.takeOver(!this.deps.store.shared);
    if (this.deps.store.shared) return;
    // One process: an open plan may not have reached its admin; other replicas' plans are theirs.
    const runner = new SetupRunner(this.deps, this.client);
    for (const setup of this.deps.store.listSetups((s) => s.status === 'planned')) this.deps.tasks.run('setup.plan_again', () => runner.showPlanAgain(setup));
  }

  /** Every tick, with replicas: work whose replica died (its lease ran out) is taken over. */
  async takeOverOrphans(): Promise<void> {
    await this.takeOver(false);
  }

  /** `everything`: the only process, just started, so nothing can be running. */
  private async takeOver(everything: boolean): Promise<void> {
    const { store, tasks, work } = this.deps;
    const now = this.deps.now().getTime();
    // A site check and a consent restarted by Try again move their setup a moment before their
    // step takes its lease: taken only once they have stood still a lease's length. A write moves
    // its setup under the lease, so a free lease is enough.
    const stillFor = (since: string) => everything || now - Date.parse(since) >= this.leaseMs;
    const runner = new SetupRunner(this.deps, this.client);

    for (const setup of store.listSetups((s) => s.status === 'writing' || (s.status === 'checking_site' && stillFor(s.updatedAt)))) {
      await work.takeOver(setupLease(setup.id), async () => {
        const ended = await this.deps.setup.endInterrupted(setup.id);
        if (ended?.status === 'expired') tasks.run('setup.report_interrupted_check', () => runner.reportInterruptedCheck(ended));
        else if (ended?.status === 'write_failed') tasks.run('setup.report_interrupted_write', () => runner.reportInterrupted(ended));
      });
    }
    // A watch runs for minutes: taken and held in the background, under the setup's lease.
    // Once its link is posted (under the lease), a consent's free lease is enough too.
    for (const setup of store.listSetups((s) => s.status === 'awaiting_consent' && (s.consent?.linkPostedAt !== undefined || stillFor(s.updatedAt)))) {
      tasks.run('setup.consent_resume', () => this.resumeConsent(runner, setup));
    }
    for (const rotation of store.listRotations().filter((r) => stillFor(r.updatedAt))) {
      tasks.run('connection.rotation_resume', async () => void (await work.takeOver(rotationLease(rotation.id), () => this.resumeRotation(rotation))));
    }
  }

  private async resumeConsent(runner: SetupRunner, setup: PendingSetup): Promise<void> {
    await this.deps.work.takeOver(setupLease(setup.id), async () => {
      // Read again under the lease: another replica may have finished it meanwhile.
      const current = this.deps.store.getSetup(setup.id);
      if (current?.status === 'awaiting_consent') await runner.resumeConsent(current);
    });
  }

  private async resumeRotation(rotation: Rotation): Promise<void> {
    if (!this.deps.store.listRotations().some((r) => r.id === rotation.id)) return;
    const found = await this.deps.connections.rotationAfterRestart(rotation);
    if ('watch' in found) {
      const { connection, reconsent } = found.watch;
      await new ReconsentRunner(this.deps, this.client).resume(connection, rotation.userId, reconsent, rotation.thread!);
    } else await this.reportRotation(found.interrupted);
  }

  /**
   * A DM, then the record goes: if the DM fails, the next start tells them instead. Twice is
   * better than never, since ServiceNow and the bot may disagree on the credential.
   */
  private async reportRotation(rotation: Rotation): Promise<void> {
    const dm = await this.client.conversations.open({ users: rotation.userId });
    const channel = dm.channel?.id;
    if (!channel) throw new Error('conversations.open returned no channel');
    await this.client.chat.postMessage({ channel, ...rotationInterruptedMessage(rotation) });
    await this.deps.connections.endRotation(rotation.id);
  }
}
