import type { App } from '@slack/bolt';
import { helpText } from '../blocks/help.js';
import type { SlackDeps } from '../deps.js';
import { SLASH_COMMAND } from '../surface.js';
import { adopt } from './adopt.js';
import { audit } from './audit.js';
import { doctor } from './doctor.js';
import { list } from './list.js';
import { remove } from './remove.js';
import { request } from './request.js';
import { requests } from './requests.js';
import { rotate } from './rotate.js';
import { setup } from './setup.js';
import { status } from './status.js';
import type { Subcommand } from './subcommand.js';

const SUBCOMMANDS: Record<string, Subcommand> = { setup, list, status, rotate, remove, adopt, request, requests, audit, doctor };

/**
 * `/spoke <subcommand>`. Answers that need no lookup go back in the ack itself; anything that
 * calls Slack or ServiceNow runs after it. Unknown or empty text shows help.
 */
export function register(app: App, deps: SlackDeps): void {
  app.command(SLASH_COMMAND, async (args) => {
    const [subcommand = '', ...words] = args.command.text.trim().split(/\s+/);
    const handler = SUBCOMMANDS[subcommand.toLowerCase()];
    if (!handler) {
      await args.ack({ response_type: 'ephemeral', text: helpText() });
      return;
    }
    await handler(args, words, deps);
  });
}
