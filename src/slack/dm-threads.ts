import type { WebClient } from '@slack/web-api';
import { SpokeError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { SpokeStore } from '../store/spoke-store.js';
import { escapeMrkdwn } from './blocks/text-sections.js';
import { openDm } from './tell-user.js';

export interface Thread {
  channel: string;
  ts: string;
}

/** Slack would not open the admin's DM; they were told why, elsewhere. */
export class DmRefusedError extends SpokeError {
  readonly code = 'slack_dm_refused';
  readonly hint = 'The admin was told why (in the setup\'s report channel, only to them); the setup goes on once spokebot may message them.';
  constructor(readonly setupId: string) {
    super(`Slack refused a DM with the admin of setup ${setupId}`);
  }
}

/** How long a refused DM is not asked for again for the same setup (its failure report would ask at once). */
const REFUSAL_MEMORY_MS = 60_000;

/**
 * The DM thread a setup reports in, started on first use. Starts in flight are shared, so two
 * messages posted at once still land in one thread. When Slack refuses the DM, the admin is
 * told through an ephemeral in the setup's report channel, once, and DmRefusedError is thrown.
 */
export class DmThreads {
  private readonly starting = new Map<string, Promise<Thread>>();
  private readonly refused = new Map<string, number>();

  constructor(
    private readonly store: SpokeStore,
    private readonly logger?: Logger,
  ) {}

  async threadFor(client: WebClient, setupId: string, root: () => { text: string }): Promise<Thread> {
    const known = this.store.getSetup(setupId)?.thread;
    if (known) return known;
    let start = this.starting.get(setupId);
    if (!start) {
      start = this.start(client, setupId, root).finally(() => this.starting.delete(setupId));
      this.starting.set(setupId, start);
    }
    return start;
  }

  private async start(client: WebClient, setupId: string, root: () => { text: string }): Promise<Thread> {
    const setup = this.store.getSetup(setupId);
    if (!setup) throw new Error(`no setup ${setupId}`);
    if ((this.refused.get(setupId) ?? 0) > Date.now()) throw new DmRefusedError(setupId);
    const because = `spokebot cannot show you the plan, the consent link or the outcome of *${escapeMrkdwn(setup.connectionName)}*, and has stopped it. Run \`/spoke setup ${setup.spoke}\` again once it can message you`;
    const channel = await openDm(client, { userId: setup.userId, channel: setup.channel }, because, this.logger);
    if (!channel) {
      this.refused.set(setupId, Date.now() + REFUSAL_MEMORY_MS);
      throw new DmRefusedError(setupId);
    }
    const posted = await client.chat.postMessage({ channel, ...root() });
    const thread = { channel, ts: posted.ts! };
    await this.store.updateSetup(setupId, { thread });
    return thread;
  }
}
