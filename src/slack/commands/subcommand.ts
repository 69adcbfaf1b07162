import type { AllMiddlewareArgs, SlackCommandMiddlewareArgs } from '@slack/bolt';
import type { SlackDeps } from '../deps.js';

/** One `/spoke <subcommand>`: gets the command's Bolt arguments, the words after it and the deps. */
export type Subcommand = (args: SlackCommandMiddlewareArgs & AllMiddlewareArgs, words: string[], deps: SlackDeps) => Promise<void>;

/** Admin-only subcommands: refused (ephemeral, audited) for anyone else. Call after ack(). */
export async function requireAdmin(args: SlackCommandMiddlewareArgs & AllMiddlewareArgs, deps: SlackDeps, what: string): Promise<boolean> {
  if (await deps.admins.isAdmin(args.command.user_id)) return true;
  await deps.store.audit({ actor: args.command.user_id, action: `${what}.open`, outcome: 'refused', detail: { reason: 'not an admin' } });
  await args.respond({ response_type: 'ephemeral', text: `Only spokebot admins can ${what} connections. Ask one of them, or an owner of this workspace.` });
  return false;
}
