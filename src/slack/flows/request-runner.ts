import type { WebClient } from '@slack/web-api';
import { describeDetails, reannounceMessage, requestCard } from '../blocks/request-card.js';
import { planBlocks, scopeChangeConfirm } from '../blocks/plan-blocks.js';
import { plainMessage, type Message } from '../blocks/setup-messages.js';
import { escapeMrkdwn, escapeMrkdwnKeepingMentions, mentionUser, messageParts, textSections } from '../blocks/text-sections.js';
import type { SlackDeps } from '../deps.js';
import { ACTION } from '../ids.js';
import { ReconsentRunner } from './reconsent-runner.js';
import { RequestOutbox } from './request-outbox.js';
import { SPOKES } from '../../core/spoke-catalogue.js';
import type { AccessRequest } from '../../store/spoke-store.js';
import { SpokeError } from '../../errors.js';
import type { ConfirmationDialog } from '@slack/types';
import { confirmDialog } from '../blocks/confirm.js';

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
        await this.approvalFollowUp(request, request.decidedBy!);
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

  /**
   * The approver confirmed the scope plan: write it, then a fresh consent for the new scopes.
   * `retried`: this is a Retry after a failed write, so the requester, told of the failure, is
   * told it is done.
   */
  async confirmScopes(request: AccessRequest, actor: string, options: { retried?: boolean } = {}): Promise<void> {
    let connection;
    try {
      connection = await this.deps.requests.writeScopes(request, actor);
    } catch (error) {
      await this.followUpFailed(request, 'scopes', actor, error);
      return;
    }
    const done = await this.deps.requests.recordOutcome(request, `scopes confirmed and written by <@${actor}>; fresh consent link sent`);
    await this.refreshCard(request.id);
    if (options.retried) await this.tellDone(done, actor);
    await new ReconsentRunner(this.deps, this.client).run(connection, actor);
  }

  /** What an approval sets going; a failure is told to both sides, with a Retry for the approver. */
  private async approvalFollowUp(request: AccessRequest, actor: string, options: { retried?: boolean } = {}): Promise<void> {
    try {
      await this.followUp(request);
    } catch (error) {
      // The decision stands; what failed goes on the card, to the approver (with Retry) and to the requester.
      await this.followUpFailed(request, 'approval', actor, error);
      return;
    }
    if (options.retried) {
      await this.refreshCard(request.id);
      const done = this.deps.store.getRequest(request.id);
      if (done) await this.tellDone(done, actor);
    }
  }

  /** A Retry claimed (RequestService.claimRetry): the step that failed runs again. */
  async retryFollowUp(request: AccessRequest, actor: string): Promise<void> {
    await this.refreshCard(request.id);
    if (request.followUp?.step === 'scopes') await this.confirmScopes(request, actor, { retried: true });
    else await this.approvalFollowUp(request, actor, { retried: true });
  }

  /**
   * A follow-up failed after the requester heard "approved": the card says so, the one who acted
   * gets what went wrong and a Retry, and the requester hears it is not done yet and who can retry.
   * Each DM on its own: one that Slack refuses does not keep the other from going out.
   */
  private async followUpFailed(request: AccessRequest, step: 'approval' | 'scopes', actor: string, error: unknown): Promise<void> {
    const problem = error instanceof SpokeError ? `${error.message}. ${error.hint}` : (error as Error).message;
    await this.deps.requests.recordFailure(request, actor, problem, step);
    await this.refreshCard(request.id).catch((failure: unknown) => this.warn(request, 'could not redraw the card', failure));
    const head = step === 'scopes' ? `:x: The scope change of request #${request.id} failed: ${escapeMrkdwn(problem)}` : `:x: Request #${request.id} is approved, but its follow-up failed: ${escapeMrkdwn(problem)}`;
    await this.dm(actor, {
      text: head,
      blocks: [
        ...textSections([head, `${mentionUser(request.requester)} has been told it is not done yet. Retry runs it again; it looks for what ServiceNow already has before writing.`]),
        { type: 'actions', elements: [{ type: 'button', style: 'primary', action_id: ACTION.retryFollowUp, text: { type: 'plain_text', text: 'Retry' }, value: String(request.id), confirm: retryConfirm(request, step) }] },
      ],
    }).catch((failure: unknown) => this.warn(request, 'could not tell the approver that the follow-up failed', failure));
    const what = describeDetails(request.details);
    const failed = step === 'scopes' || request.details.kind === 'confluence_group' ? 'writing it into ServiceNow failed' : 'sending what comes next to the approver failed';
    const said = escapeMrkdwn(error instanceof Error ? error.message : String(error));
    await this.dm(request.requester, plainMessage(`:warning: Your request #${request.id} (${what}) is approved but not done yet: ${failed} (${said}). ${mentionUser(actor)} can retry it; I'll tell you here when it is done.`)).catch((failure: unknown) =>
      this.warn(request, 'could not tell the requester that the follow-up failed', failure),
    );
  }

  /** After a Retry worked: the requester, who heard of the failure, hears it is done. */
  private async tellDone(request: AccessRequest, actor: string): Promise<void> {
    const outcome = request.outcome ? `: ${escapeMrkdwnKeepingMentions(request.outcome, [request.requester, actor, ...(request.decidedBy ? [request.decidedBy] : [])])}` : '.';
    await this.dm(request.requester, plainMessage(`:white_check_mark: Your request #${request.id} (${describeDetails(request.details)}) is done${outcome}`)).catch((failure: unknown) =>
      this.warn(request, 'could not tell the requester that the retry worked', failure),
    );
  }

  private warn(request: AccessRequest, what: string, error: unknown): void {
    this.deps.logger.warn({ request: request.id, err: { message: (error as Error).message } }, what);
  }

  /** A message longer than Slack takes in one (a long scope plan) goes on in the next DMs, in order. */
  private async dm(userId: string, message: Message): Promise<void> {
    const dm = await this.client.conversations.open({ users: userId });
    if (!dm.channel?.id) return;
    for (const part of messageParts(message)) await this.client.chat.postMessage({ channel: dm.channel.id, ...part });
  }
}

/** Slack asks before a Retry writes to ServiceNow again. */
function retryConfirm(request: AccessRequest, step: 'approval' | 'scopes'): ConfirmationDialog {
  const what = step === 'scopes' ? 'write the scope records again and send a fresh consent link' : request.details.kind === 'confluence_group' ? 'write the Confluence groups into ServiceNow again' : 'send what comes next again';
  return confirmDialog({ title: `Retry request #${request.id}?`, text: `Retry request #${request.id}: ${what}? What ServiceNow already has is looked up first and kept.`, confirm: 'Retry' });
}
