import type { WebClient } from '@slack/web-api';
import { oauthCallbackUrl } from '../../core/consent-link.js';
import { formatDuration } from '../../core/duration.js';
import { SPOKES } from '../../core/spoke-catalogue.js';
import type { RecordPlan } from '../../core/record-plan.js';
import type { PendingSetup } from '../../store/spoke-store.js';
import {
  cannotPostMessage,
  channelConnectedMessage,
  connectedMessage,
  consentMessage,
  consentTimeoutMessage,
  plainMessage,
  recordsWrittenMessage,
  threadRootMessage,
  writeFailedMessage,
  type Message,
} from '../blocks/setup-messages.js';
import { escapeMrkdwn, mentionUser, messageParts, quoteTyped, textSections } from '../blocks/text-sections.js';
import type { SlackDeps } from '../deps.js';
import { planMessageBlocks, planModal, type PlanSummary } from '../blocks/plan-blocks.js';
import { waitingModal } from '../blocks/progress-views.js';
import { checkFailedMessage, checkInterruptedMessage, consentWatchStoppedMessage, planAgainNote, setupExpiredMessage } from '../blocks/recovery-messages.js';
import { formValuesOf, setupForm } from '../setup-form.js';
import { updateView } from '../update-view.js';
import { setupLease } from '../../setup/work-leases.js';

/** Which states each step owns: an error it does not handle moves only those to a failed state. */
const STEP_OWNS = {
  check: ['checking_site', 'planned'],
  // Confirm moves its own write to write_failed; what is left is a write that succeeded and a
  // consent link that may not have reached the admin (Try again posts it).
  write: ['awaiting_consent'],
  consent: ['awaiting_consent'],
} as const satisfies Record<string, readonly PendingSetup['status'][]>;

const STATUS_WORDS: Partial<Record<PendingSetup['status'], string>> = {
  writing: 'is already writing its records',
  awaiting_consent: 'has written its records and waits for consent',
  connected: 'is already connected',
  cancelled: 'was cancelled',
  expired: 'expired',
};

/**
 * The part of a setup that runs after the ack and talks back through a DM thread: write the
 * records, hand over the consent link, watch for the tokens, say "connected". Confirm (modal or
 * button) and Retry both come here; the writes resume where they stopped.
 */
export class SetupRunner {
  constructor(
    private readonly deps: SlackDeps,
    private readonly client: WebClient,
  ) {}

  /**
   * Runs one step of a setup after the ack. An error the step does not handle moves the setup to
   * that step's failed state (the form again, Retry, Try again) and tells the admin, so no setup
   * waits in a state nothing will move it out of (a setup left writing would block its name for
   * good). The error itself goes to the log. `viewId`: the modal a check is shown in.
   */
  async step(setupId: string, kind: keyof typeof STEP_OWNS, work: () => Promise<void>, viewId?: string): Promise<void> {
    try {
      // Leased while it runs: if this process dies, another replica takes the setup over.
      await this.deps.work.hold(setupLease(setupId), work);
    } catch (error) {
      this.deps.logger.error({ setupId, step: kind, err: error }, 'setup step failed');
      try {
        const failed = await this.deps.setup.failUnexpectedly(setupId, STEP_OWNS[kind], error);
        if (failed) await this.reportFailure(failed, viewId);
      } catch (reportError) {
        this.deps.logger.error({ setupId, err: reportError }, 'could not report a failed setup step');
      }
    }
  }

  /** Tells the admin where a setup stopped and what to do, by the state it stopped in. */
  private async reportFailure(setup: PendingSetup, viewId?: string): Promise<void> {
    if (setup.status === 'site_failed') {
      const form = setupForm(this.deps, { spoke: setup.spoke, method: setup.method, setupId: setup.id, values: formValuesOf(setup), problem: `${setup.failure?.message ?? 'The check failed'}. ${setup.failure?.hint ?? ''}` });
      const shown = viewId ? await updateView(this.client, viewId, form) : false;
      if (!shown) await this.say(setup, checkFailedMessage(setup));
    } else if (setup.status === 'write_failed') {
      await this.reportInterrupted(setup);
    } else if (setup.status === 'consent_timeout') {
      await this.say(setup, consentWatchStoppedMessage(setup));
    }
  }

  async writeAndConsent(setupId: string, userId: string): Promise<void> {
    await this.step(setupId, 'write', () => this.confirmAndWrite(setupId, userId));
  }

  private async confirmAndWrite(setupId: string, userId: string): Promise<void> {
    const setup = this.deps.store.getSetup(setupId);
    if (!setup) return;
    if (!(await this.deps.admins.isAdmin(userId))) {
      await this.deps.store.audit({ actor: userId, action: 'setup.confirm', outcome: 'refused', setupId, detail: { reason: 'not an admin' } });
      return;
    }
    // The DM thread before any write: when Slack will not let spokebot reach the admin (told
    // why by DmThreads), nothing is written that would wait for a consent link nobody gets.
    await this.deps.threads.threadFor(this.client, setup.id, () => threadRootMessage(setup.connectionName, SPOKES[setup.spoke].label, this.deps.instanceUrl));
    const result = await this.deps.setup.confirm(setupId, userId);
    if (!result.ok && result.reason === 'plan_changed') {
      await this.showChangedPlan(result.setup, result.plan);
      return;
    }
    if (!result.ok && result.reason !== 'write_failed') {
      if (!result.setup) return;
      const text =
        result.reason === 'not_owner'
          ? `Only ${mentionUser(result.setup.userId)}, who started this setup, can confirm it.`
          : `This setup ${STATUS_WORDS[result.setup.status] ?? `is ${result.setup.status.replace(/_/g, ' ')}`}; nothing more to do here.`;
      await this.say(result.setup, plainMessage(text));
      return;
    }
    if (!result.ok) {
      const { error } = result;
      await this.say(result.setup, writeFailedMessage(setupId, `ServiceNow refused ${error.failedRecord.table} "${error.failedRecord.label}": ${error.failure.message}.`, error.hint, result.setup.written));
      return;
    }
    await this.say(result.setup, recordsWrittenMessage(result.written, this.deps.instanceUrl));
    if (!result.link) {
      // API token or service account: verified before writing, so connected now.
      await this.say(result.setup, connectedMessage(result.setup.connectionName, result.setup.siteOrigin, result.setup.method));
      await this.announce(result.setup);
      return;
    }
    await this.say(result.setup, consentMessage(setupId, result.link, formatDuration(this.deps.consentTimeoutMs)));
    await this.deps.setup.markLinkPosted(setupId);
    await this.watchConsent(setupId);
  }

  async watchConsent(setupId: string): Promise<void> {
    await this.step(setupId, 'consent', () => this.watch(setupId));
  }

  private async watch(setupId: string): Promise<void> {
    const outcome = await this.deps.setup.watchConsent(setupId, this.deps.tasks.signal);
    const setup = this.deps.store.getSetup(setupId)!;
    if (outcome === 'connected') {
      await this.say(setup, connectedMessage(setup.connectionName, setup.siteOrigin, setup.method));
      await this.announce(setup);
    } else if (outcome === 'timeout') {
      await this.say(setup, consentTimeoutMessage(setupId, oauthCallbackUrl(this.deps.instanceUrl), formatDuration(this.deps.consentTimeoutMs)));
      // A change ServiceNow made that the consent rule could not tell from a refresh: said, with what to do.
      if (setup.failure?.code === 'consent_unproven') await this.say(setup, plainMessage(`:grey_question: ${escapeMrkdwn(setup.failure.message)}. ${escapeMrkdwn(setup.failure.hint)}`));
    }
  }

  /** A consent that came after the watch gave up, found by the setup sweep: "connected", as on time. */
  async reportLateConsent(setup: PendingSetup): Promise<void> {
    await this.say(setup, connectedMessage(setup.connectionName, setup.siteOrigin, setup.method));
    await this.announce(setup);
  }

  async retryConsent(setupId: string, userId: string): Promise<void> {
    const setup = await this.deps.setup.restartConsent(setupId, userId);
    if (!setup?.consent) return;
    await this.step(setupId, 'write', () => this.postLinkAndWatch(setup, setup.consent!.link));
  }

  private async postLinkAndWatch(setup: PendingSetup, link: string): Promise<void> {
    await this.say(setup, consentMessage(setup.id, link, formatDuration(this.deps.consentTimeoutMs)));
    await this.deps.setup.markLinkPosted(setup.id);
    await this.watchConsent(setup.id);
  }

  /**
   * After a restart: a consent being watched is watched on (its deadline counts from the link).
   * If the bot stopped before the link reached the admin, the link goes out first.
   */
  async resumeConsent(setup: PendingSetup): Promise<void> {
    if (!setup.consent) return;
    if (setup.consent.linkPostedAt) await this.watchConsent(setup.id);
    else await this.step(setup.id, 'write', () => this.postLinkAndWatch(setup, setup.consent!.link));
  }

  /**
   * After a restart: the plan may still be open in the modal (Confirm works: everything it needs
   * is in the store), or it never reached the admin. It is drawn again in the modal, which looks
   * the same if it was there, or, with the modal gone, sent to the DM.
   */
  async showPlanAgain(setup: PendingSetup): Promise<void> {
    await this.step(setup.id, 'check', async () => {
      const plan = await this.deps.setup.planToShow(setup);
      const summary = planSummary(this.deps, setup);
      const shown = setup.viewId ? await updateView(this.client, setup.viewId, planModal(summary, plan)) : false;
      if (!shown) await this.say(setup, { text: `Plan for ${setup.connectionName}`, blocks: [...textSections([planAgainNote(setup.connectionName)]), ...planMessageBlocks(summary, plan)] });
    });
  }

  /**
   * Confirm found a record of this name in ServiceNow that the plan did not warn of (made or
   * changed since it was drawn): nothing was written, and the plan comes back with the warning,
   * in the modal if it is still open, else in the DM. Confirmed again, it goes ahead.
   */
  private async showChangedPlan(setup: PendingSetup, plan: RecordPlan): Promise<void> {
    const note = `:warning: ServiceNow changed since this plan was drawn: Confirm would now take over a record named ${quoteTyped(setup.connectionName)} (see the warnings below). Nothing was written. Confirm again to go ahead anyway, or cancel and choose another name.`;
    const summary = planSummary(this.deps, setup);
    const modal = planModal(summary, plan);
    const shown = setup.viewId ? await updateView(this.client, setup.viewId, { ...modal, blocks: [...textSections([note]), ...modal.blocks] }) : false;
    if (!shown) await this.say(setup, { text: `The plan for ${escapeMrkdwn(setup.connectionName)} changed`, blocks: [...textSections([note]), ...planMessageBlocks(summary, plan)] });
  }

  /**
   * After a restart: a check that was running is over and its secret wiped (see
   * SetupService.recoverAfterRestart). The modal, if still open, says so; the DM has the button
   * that opens the form again with the admin's answers.
   */
  async reportInterruptedCheck(setup: PendingSetup): Promise<void> {
    await this.say(setup, checkInterruptedMessage(setup));
    if (setup.viewId) await updateView(this.client, setup.viewId, waitingModal('Setup interrupted', `:warning: spokebot restarted while checking ${escapeMrkdwn(setup.siteOrigin)}. Nothing was written. Your DM with spokebot has a button that opens the setup again with your answers.`));
  }

  /** A setup expired (idle or past its hard cap): its modal, if open, and the DM say so. */
  async reportExpired(setup: PendingSetup): Promise<void> {
    await this.say(setup, setupExpiredMessage(setup));
    if (setup.viewId) await updateView(this.client, setup.viewId, waitingModal('Setup expired', ':hourglass: This setup expired and spokebot wiped its secret. Your DM with spokebot has a button that opens it again with your answers.'));
  }

  /** After a restart: a setup cut off mid-write gets its Retry button. */
  async reportInterrupted(setup: PendingSetup): Promise<void> {
    await this.say(setup, writeFailedMessage(setup.id, setup.failure?.message ?? 'interrupted', setup.failure?.hint ?? 'Press Retry.', setup.written));
  }

  /**
   * Posts into the setup's DM thread, starting the thread on first use. A message longer than
   * Slack takes in one goes on in the next messages of the thread, in order.
   */
  async say(setup: PendingSetup, message: Message): Promise<void> {
    const thread = await this.deps.threads.threadFor(this.client, setup.id, () =>
      threadRootMessage(setup.connectionName, SPOKES[setup.spoke].label, this.deps.instanceUrl),
    );
    for (const part of messageParts(message)) await this.client.chat.postMessage({ channel: thread.channel, thread_ts: thread.ts, ...part });
  }

  /**
   * Tells the chosen channel. A bot can post to public channels (chat:write.public) but must be
   * invited to private ones; if Slack refuses, the admin hears how to fix it.
   */
  private async announce(setup: PendingSetup): Promise<void> {
    const spoke = SPOKES[setup.spoke];
    try {
      await this.client.chat.postMessage({ channel: setup.channel, ...channelConnectedMessage(setup.connectionName, spoke.label, setup.siteOrigin, setup.userId) });
    } catch (error) {
      const code = (error as { data?: { error?: string } }).data?.error;
      if (code !== 'not_in_channel' && code !== 'channel_not_found' && code !== 'is_archived') throw error;
      await this.say(setup, cannotPostMessage(setup.channel, code));
    }
  }
}

export function planSummary(deps: SlackDeps, setup: PendingSetup): PlanSummary {
  return {
    setupId: setup.id,
    connectionName: setup.connectionName,
    spokeLabel: SPOKES[setup.spoke].label,
    siteOrigin: setup.siteOrigin,
    cloudId: setup.cloudId ?? '',
    instanceUrl: deps.instanceUrl,
  };
}
