import type { AllMiddlewareArgs, SlackCommandMiddlewareArgs } from '@slack/bolt';
import type { Connection } from '../../store/spoke-store.js';
import type { SlackDeps } from '../deps.js';
import { ACTION } from '../ids.js';
import { SLASH_COMMAND } from '../surface.js';
import { escapeMrkdwn, quoteTyped, textSections } from '../blocks/text-sections.js';

/** One `/spoke <subcommand>`: gets the command's Bolt arguments, the words after it and the deps. */
export type Subcommand = (args: SlackCommandMiddlewareArgs & AllMiddlewareArgs, words: string[], deps: SlackDeps) => Promise<void>;

/** Admin-only subcommands: refused (ephemeral, audited) for anyone else. Call after ack(). */
export async function requireAdmin(args: SlackCommandMiddlewareArgs & AllMiddlewareArgs, deps: SlackDeps, verb: string, doing = verb): Promise<boolean> {
  if (await deps.admins.isAdmin(args.command.user_id)) return true;
  await deps.store.audit({ actor: args.command.user_id, action: `${verb}.open`, outcome: 'refused', detail: { reason: 'not an admin', command: args.command.text } });
  const text = `Only spokebot admins can ${doing} connections. Ask one of them, or an owner of this workspace, to run \`${SLASH_COMMAND} ${escapeMrkdwn(args.command.text.trim())}\`, or request it.`;
  await args.respond({
    response_type: 'ephemeral',
    text,
    blocks: [
      ...textSections([text]),
      { type: 'actions', elements: [{ type: 'button', action_id: ACTION.openRequestModal, text: { type: 'plain_text', text: 'Request access' }, value: 'refusal' }] },
    ],
  });
  return false;
}

/**
 * For `/spoke <verb> <name>`: acks, checks the caller is an admin and the connection exists,
 * answering every refusal itself. Returns the connection to act on, or undefined.
 */
export async function adminConnection(args: SlackCommandMiddlewareArgs & AllMiddlewareArgs, words: string[], deps: SlackDeps, verb: string): Promise<Connection | undefined> {
  const name = words.join(' ').trim();
  if (!name) {
    await args.ack({ response_type: 'ephemeral', text: `Which connection? \`${SLASH_COMMAND} ${verb} <name>\` (see \`${SLASH_COMMAND} list\`)` });
    return undefined;
  }
  await args.ack();
  if (!(await requireAdmin(args, deps, verb))) return undefined;
  const connection = deps.connections.active(name);
  if (!connection) await args.respond({ response_type: 'ephemeral', text: `No active connection named ${quoteTyped(name)}. \`${SLASH_COMMAND} list\` shows them.` });
  return connection;
}
