import type { WebClient } from '@slack/web-api';
import type { SpokeStore } from '../store/spoke-store.js';

export interface Thread {
  channel: string;
  ts: string;
}

/**
 * The DM thread a setup reports in, started on first use. Starts in flight are shared, so two
 * messages posted at once still land in one thread.
 */
export class DmThreads {
  private readonly starting = new Map<string, Promise<Thread>>();

  constructor(private readonly store: SpokeStore) {}

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
    const dm = await client.conversations.open({ users: setup.userId });
    const channel = dm.channel?.id;
    if (!channel) throw new Error('conversations.open returned no channel');
    const posted = await client.chat.postMessage({ channel, ...root() });
    const thread = { channel, ts: posted.ts! };
    await this.store.updateSetup(setupId, { thread });
    return thread;
  }
}
