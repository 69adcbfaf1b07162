import type { WebClient } from '@slack/web-api';
import { describeDetails, reannounceMessage, requestCard } from '../blocks/request-card.js';
import { planBlocks, scopeChangeConfirm } from '../blocks/plan-blocks.js';
import { plainMessage, type Message } from '../blocks/setup-messages.js';
import { escapeMrkdwn, mentionUser, messageParts, textSections } from '../blocks/text-sections.js';
import type { SlackDeps } from '../deps.js';
import { ACTION } from '../ids.js';
import { ReconsentRunner } from './reconsent-runner.js';
import { RequestOutbox } from './request-outbox.js';
import { SPOKES } from '../../core/spoke-catalogue.js';
import type { AccessRequest } from '../../store/spoke-store.js';
import { SpokeError } from '../../errors.js';

/**
 * The Slack side of a request: the card in the approvers' channel (updated in place as it is
 * decided), DMs to the requester, and the work an approval starts.
 */
export class RequestRunner {
  constructor(
    private readonly deps: SlackDeps,
    private readonly client: WebClient,
  ) {}

  /** The card and the receipt go out through the outbox, which retries from the store until they are out. */
  async announce(request: AccessRequest): Promise<void> {
    await new RequestOutbox(this.deps, this.client).tryOne(request.id);
  }

  async reannounce(request: AccessRequest): Promise<void> {
    if (!request.card) return;
    await this.client.chat.postMessage({ channel: request.card.channel, thread_ts: request.card.ts, reply_broadcast: true, ...reannounceMessage(request) });
  }

  /** Redraws the card from the stored request: decided cards lose their buttons. */
  async refreshCard(id: number): Promise<void> {
    const request = this.deps.store.getRequest(id);
    if (request?.card) await this.client.chat.update({ channel: request.card.channel, ts: request.card.ts, ...requestCard(request) });
  }

  async decided(request: AccessRequest): Promise<void> {
    const what = describeDetails(request.details);
    switch (request.state) {
      case 'denied':
        await this.dm(request.requester, plainMessage(`:no_entry_sign: Your request #${request.id} (${what}) was denied by ${mentionUser(request.decidedBy ?? '')}: ${escapeMrkdwn(request.denyReason ?? 'no reason given')}`));
        break;
      case 'withdrawn':
        await this.dm(request.requester, plainMessage(`You withdrew request #${request.id}.`));
        break;
      case 'expired':
        await this.dm(request.requester, plainMessage(`:zzz: Your request #${request.id} (${what}) expired without a decision. Ask again with \`/spoke request\` if you still need it.`));
        break;
      case 'approved':
        await this.dm(request.requester, plainMessage(`:white_check_mark: Your request #${request.id} (${what}) was approved by ${mentionUser(request.decidedBy ?? '')}.`));
        try {
          await this.followUp(request);
        } catch (error) {
          // The decision stands; what failed is said on the card and to the approver.
          const problem = error instanceof SpokeError ? `${error.message}. ${error.hint}` : (error as Error).message;
          await this.deps.requests.recordFailure(request, request.decidedBy!, problem);
          await this.dm(request.decidedBy!, plainMessage(`:x: Request #${request.id} is approved, but its follow-up failed: ${escapeMrkdwn(problem)}`));
        }
        break;
      case 'open':
        return;
    }
    await this.refreshCard(request.id);
  }

  /** What an approval sets going, per kind. */
  private async followUp(request: AccessRequest): Promise<void> {
    const approver = request.decidedBy!;
    const details = request.details;
    if (details.kind === 'new_connection') {
      await this.dm(approver, {
        text: `Set up ${SPOKES[details.spoke].label} for request #${request.id}`,
        blocks: [
          ...textSections([`Request #${request.id} is approved: ${describeDetails(details)}. The setup form opens with the site filled in.`]),
          {
            type: 'actions',
            block_id: `request_${request.id}`,
            elements: [
              { type: 'button', style: 'primary', action_id: ACTION.openRequestedSetup, text: { type: 'plain_text', text: 'Open the setup' }, value: String(request.id) },
              { type: 'users_select', action_id: ACTION.handSetupTo, placeholder: { type: 'plain_text', text: 'Or hand it to an admin' } },
            ],
          },
        ],
      });
      await this.deps.requests.recordOutcome(request, `setup offered to <@${approver}>`);
    } else if (details.kind === 'confluence_group') {
      const outcome = await this.deps.requests.addConfluenceGroups(request, approver);
      await this.deps.requests.recordOutcome(request, outcome);
    } else {
      const plan = this.deps.requests.scopePlan(request);
      const connection = this.deps.store.getConnection(details.connection)!;
      const summary = { setupId: String(request.id), connectionName: connection.name, spokeLabel: SPOKES[connection.spoke].label, siteOrigin: connection.siteOrigin, cloudId: connection.cloudId, instanceUrl: this.deps.instanceUrl };
      await this.dm(approver, {
        text: `Scope change for ${escapeMrkdwn(connection.name)}`,
        blocks: [
          ...planBlocks(summary, plan),
          { type: 'actions', elements: [{ type: 'button', style: 'primary', action_id: ACTION.confirmScopeChange, text: { type: 'plain_text', text: 'Confirm and re-consent' }, value: String(request.id), confirm: scopeChangeConfirm(summary, plan) }] },
        ],
      });
      await this.deps.requests.recordOutcome(request, `scope plan sent to <@${approver}> to confirm`);
    }
  }

  /** The approver named another admin to do the setup: they get the same button. */
  async handSetup(request: AccessRequest, from: string, to: string): Promise<void> {
    if (request.details.kind !== 'new_connection') return;
    await this.dm(to, {
      text: `Set up ${SPOKES[request.details.spoke].label} for request #${request.id}`,
      blocks: [
        ...textSections([`${mentionUser(from)} approved request #${request.id} (${describeDetails(request.details)}) and asks you to set it up.`]),
        { type: 'actions', elements: [{ type: 'button', style: 'primary', action_id: ACTION.openRequestedSetup, text: { type: 'plain_text', text: 'Open the setup' }, value: String(request.id) }] },
      ],
    });
    await this.deps.requests.recordOutcome(request, `setup handed by <@${from}> to <@${to}>`);
    await this.refreshCard(request.id);
  }

  /** The approver confirmed the scope plan: write it, then a fresh consent for the new scopes. */
  async confirmScopes(request: AccessRequest, actor: string): Promise<void> {
    let connection;
    try {
      connection = await this.deps.requests.writeScopes(request, actor);
    } catch (error) {
      const problem = error instanceof SpokeError ? `${error.message}. ${error.hint}` : (error as Error).message;
      await this.deps.requests.recordFailure(request, actor, problem);
      await this.refreshCard(request.id);
      await this.dm(actor, plainMessage(`:x: The scope change of request #${request.id} failed: ${escapeMrkdwn(problem)}`));
      return;
    }
    await this.deps.requests.recordOutcome(request, `scopes confirmed and written by <@${actor}>; fresh consent link sent`);
    await this.refreshCard(request.id);
    await new ReconsentRunner(this.deps, this.client).run(connection, actor);
  }

  /** A message longer than Slack takes in one (a long scope plan) goes on in the next DMs, in order. */
  private async dm(userId: string, message: Message): Promise<void> {
    const dm = await this.client.conversations.open({ users: userId });
    if (!dm.channel?.id) return;
    for (const part of messageParts(message)) await this.client.chat.postMessage({ channel: dm.channel.id, ...part });
  }
}
