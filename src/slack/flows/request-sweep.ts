import type { WebClient } from '@slack/web-api';
import type { SlackDeps } from '../deps.js';
import { RequestOutbox } from './request-outbox.js';
import { RequestRunner } from './request-runner.js';

/**
 * Requests still owed their card are announced (the outbox's retries); undecided ones are put in
 * front of the approvers again, or expired with word to the requester.
 */
export class RequestSweep {
  constructor(
    private readonly deps: SlackDeps,
    private readonly client: WebClient,
  ) {}

  /** Cards and receipts still owed: after a failed post, and at start for those a crash cut off. */
  async announceOwed(): Promise<void> {
    await new RequestOutbox(this.deps, this.client).sweep();
  }

  async run(): Promise<void> {
    await this.announceOwed();
    const { reannounce, expired } = await this.deps.requests.sweepUndecided();
    const runner = new RequestRunner(this.deps, this.client);
    for (const request of reannounce) await runner.reannounce(request);
    for (const request of expired) await runner.decided(request);
  }
}
