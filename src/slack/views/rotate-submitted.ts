import type { App } from '@slack/bolt';
import { defaultTokenExpiry, tokenExpiryProblem } from '../../core/setup-request.js';
import { plainMessage } from '../blocks/setup-messages.js';
import { waitingModal } from '../blocks/progress-views.js';
import { rotateModal } from '../blocks/rotate-modal.js';
import { escapeMrkdwn, mentionUser } from '../blocks/text-sections.js';
import { SpokeError } from '../../errors.js';
import { adminVerdict, refusalText } from '../admin-gate.js';
import type { SlackDeps } from '../deps.js';
import { CALLBACK, ROTATE_BLOCK, SCOPED_TOKEN_VALUE, SETUP_INPUT_ACTION } from '../ids.js';
import { slackFailureOf, slackFailureText, tellUser } from '../tell-user.js';
import { updateView } from '../update-view.js';

type Values = Record<string, Record<string, { value?: string | null; selected_date?: string | null; selected_options?: Array<{ value: string }> | null }>>;

/**
 * The rotate modal's submit: local checks in the ack, then one sign-in with the new credential
 * after it; only a credential that works replaces the one in ServiceNow.
 */
export function register(app: App, deps: SlackDeps): void {
  app.view({ callback_id: CALLBACK.rotateModal, type: 'view_submission' }, async ({ ack, body, view, client }) => {
    const connection = deps.connections.active(view.private_metadata);
    if (!connection) {
      await ack({ response_action: 'errors', errors: { [ROTATE_BLOCK.secret]: 'This connection was removed meanwhile.' } });
      return;
    }
    // Admins only, asked at the submission: the modal may be replayed by someone else.
    const verdict = await adminVerdict(deps, body.user.id);
    if (verdict !== 'admin') {
      await deps.store.audit({ actor: body.user.id, action: 'connection.rotate', outcome: 'refused', connection: connection.name, detail: { reason: verdict === 'unknown' ? 'admin directory did not answer' : 'not an admin' } });
      await ack({ response_action: 'errors', errors: { [ROTATE_BLOCK.secret]: refusalText(deps, verdict, 'rotate credentials', { plain: true }) } });
      return;
    }
    const values = view.state.values as Values;
    const secret = values[ROTATE_BLOCK.secret]?.[SETUP_INPUT_ACTION]?.value?.trim() ?? '';
    const expiry = values[ROTATE_BLOCK.tokenExpiry]?.[SETUP_INPUT_ACTION]?.selected_date ?? '';
    const scoped = (values[ROTATE_BLOCK.tokenScoped]?.[SETUP_INPUT_ACTION]?.selected_options ?? []).some((o) => o.value === SCOPED_TOKEN_VALUE);
    const errors: Record<string, string> = {};
    if (!secret) errors[ROTATE_BLOCK.secret] = 'Paste the new credential.';
    const zone = connection.method === 'api_token' ? await deps.zones.zoneOf(body.user.id) : undefined;
    const expiryProblem = zone ? tokenExpiryProblem(expiry, deps.now(), zone) : undefined;
    if (expiryProblem) errors[ROTATE_BLOCK.tokenExpiry] = expiryProblem;
    if (Object.keys(errors).length > 0) {
      await ack({ response_action: 'errors', errors });
      return;
    }
    const name = escapeMrkdwn(connection.name);
    await ack({ response_action: 'update', view: waitingModal('Checking', `:hourglass_flowing_sand: Signing in once with the new credential for *${name}*…`) });
    deps.tasks.run('connection.rotate', async () => {
      let result;
      try {
        result = await deps.connections.rotateSecret(connection, body.user.id, {
          secret,
          ...(zone ? { tokenExpiresOn: expiry, tokenExpiryZone: zone, scopedToken: scoped } : {}),
        });
      } catch (error) {
        if (!(error instanceof SpokeError)) throw error;
        await updateView(client, view.id, waitingModal('Not rotated', `:x: ${escapeMrkdwn(`${error.message}. ${error.hint}`)} The old credential may still be in ServiceNow; run \`/spoke rotate ${name}\` again.`));
        return;
      }
      if (!result.ok && 'removed' in result) {
        // Another admin removed it while this rotation ran: it stays removed, and this admin hears why.
        const written = result.written ? ' The new credential had already reached its inactive credential record in ServiceNow.' : ' Nothing was written.';
        const said = `:no_entry: *${name}* was removed (deactivated in ServiceNow) meanwhile, so it was not rotated and stays removed.${written}`;
        if (!(await updateView(client, view.id, waitingModal('Not rotated', said)))) await tellUser(client, { userId: body.user.id }, plainMessage(said), { logger: deps.logger });
        return;
      }
      if (!result.ok) {
        await updateView(client, view.id, rotateModal({ connection, defaultTokenExpiry: defaultTokenExpiry(deps.now()), problem: result.advice }));
        return;
      }
      const rotated = `:white_check_mark: *${name}* now uses the new credential in ServiceNow.`;
      await updateView(client, view.id, waitingModal('Rotated', rotated));
      try {
        await client.chat.postMessage({ channel: connection.channel, ...plainMessage(`:arrows_counterclockwise: The credential of *${name}* was rotated by ${mentionUser(body.user.id)}.`) });
      } catch (error) {
        // The rotation stands; the admin still hears that the channel did not.
        const failure = slackFailureOf(error);
        if (!failure) throw error;
        await updateView(client, view.id, waitingModal('Rotated', `${rotated}\n:warning: ${slackFailureText(failure, `tell <#${connection.channel}> about it`, 'post there by hand')}`));
      }
    });
  });
}
