import type { WebClient } from '@slack/web-api';
import type { Rotation } from '../../store/spoke-store.js';
import { rotationInterruptedMessage } from '../blocks/recovery-messages.js';
import type { SlackDeps } from '../deps.js';
import { ReconsentRunner } from './reconsent-runner.js';
import { SetupRunner } from './setup-runner.js';
import { SetupSweep } from './setup-sweep.js';

/**
 * What a start does with the work the last run left unfinished (a crash, kill -9, a deploy): every
 * setup and rotation that was on its way somewhere is resumed or reported to its admin, so nothing
 * waits in silence and no secret outlives its use. README, "How a setup behaves", lists each case.
 */
export class RestartRecovery {
  constructor(
    private readonly deps: SlackDeps,
    private readonly client: WebClient,
  ) {}

  /**
   * The store is settled before this returns, and so before the bot takes Slack traffic: a write
   * that a click starts in this run must never be taken for one the last run left. Telling the
   * admins and watching run in the background.
   */
  async run(): Promise<void> {
    // Expiry first: a setup that sat idle through the outage is reported as expired, not resumed.
    const expired = await this.deps.setup.expire();
    const setups = await this.deps.setup.recoverAfterRestart();
    const rotations = await this.deps.connections.rotationsAfterRestart();

    const runner = new SetupRunner(this.deps, this.client);
    const { tasks } = this.deps;
    tasks.run('setup.report_expired', () => new SetupSweep(this.deps, this.client).report(expired));
    for (const setup of setups.checks) tasks.run('setup.report_interrupted_check', () => runner.reportInterruptedCheck(setup));
    for (const setup of setups.writes) tasks.run('setup.report_interrupted_write', () => runner.reportInterrupted(setup));
    for (const setup of setups.plans) tasks.run('setup.plan_again', () => runner.showPlanAgain(setup));
    for (const setup of setups.consents) tasks.run('setup.consent_resume', () => runner.resumeConsent(setup));
    for (const rotation of rotations.interrupted) tasks.run('connection.report_interrupted', () => this.reportRotation(rotation));
    for (const { rotation, connection, reconsent } of rotations.watches) {
      tasks.run('connection.reconsent_resume', () => new ReconsentRunner(this.deps, this.client).resume(connection, rotation.userId, reconsent, rotation.thread!));
    }
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
