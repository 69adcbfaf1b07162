import type { WebClient } from '@slack/web-api';
import type { SlackDeps } from '../deps.js';
import { RequestRunner } from './request-runner.js';

/** Undecided requests: put in front of the approvers again, or expired with word to the requester. */
export class RequestSweep {
  constructor(
    private readonly deps: SlackDeps,
    private readonly client: WebClient,
  ) {}

  async run(): Promise<void> {
    const { reannounce, expired } = await this.deps.requests.sweepUndecided();
    const runner = new RequestRunner(this.deps, this.client);
    for (const request of reannounce) await runner.reannounce(request);
    for (const request of expired) await runner.decided(request);
  }
}
