import type { WebClient } from '@slack/web-api';
import type { PendingSetup } from '../../store/spoke-store.js';
import type { SlackDeps } from '../deps.js';
import { SetupRunner } from './setup-runner.js';

/**
 * Setups nobody moved on for SPOKE_SETUP_IDLE, or unfinished past SPOKE_SETUP_TTL: expired with
 * their secrets wiped, and each admin told, with a button that opens the form again. A timer runs
 * it every minute, and every start runs it before resuming anything. It also looks for consents
 * given after their watch gave up (timed out, or expired since), by the rule the watch uses, and
 * says "connected" in the setup's thread for each one it finds.
 */
export class SetupSweep {
  constructor(
    private readonly deps: SlackDeps,
    private readonly client: WebClient,
  ) {}

  async run(): Promise<void> {
    await this.report(await this.deps.setup.expire());
    const runner = new SetupRunner(this.deps, this.client);
    for (const setup of await this.deps.setup.lookForLateConsents()) {
      try {
        await runner.reportLateConsent(setup);
      } catch (error) {
        this.deps.logger.warn({ setupId: setup.id, err: error }, 'could not tell the admin a late consent connected');
      }
    }
  }

  async report(expired: readonly PendingSetup[]): Promise<void> {
    const runner = new SetupRunner(this.deps, this.client);
    for (const setup of expired) {
      // One admin's closed DM must not keep the others from hearing.
      try {
        await runner.reportExpired(setup);
      } catch (error) {
        this.deps.logger.warn({ setupId: setup.id, err: error }, 'could not tell the admin a setup expired');
      }
    }
  }
}
