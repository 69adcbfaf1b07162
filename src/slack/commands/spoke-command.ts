import type { App } from '@slack/bolt';
import { helpText } from '../blocks/help.js';
import { escapeMrkdwn } from '../blocks/text-sections.js';
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

/**
 * A Map, not an object literal: looking a typed word up in an object finds what every object
 * inherits (`constructor`, `__proto__`, `toString`), which is no subcommand and never acks.
 */
const SUBCOMMANDS = new Map<string, Subcommand>([
  ['setup', setup],
  ['list', list],
  ['status', status],
  ['rotate', rotate],
  ['remove', remove],
  ['adopt', adopt],
  ['request', request],
  ['requests', requests],
  ['audit', audit],
  ['doctor', doctor],
]);

/**
 * `/spoke <subcommand>`. Answers that need no lookup go back in the ack itself; anything that
 * calls Slack or ServiceNow runs after it. Unknown or empty text shows help.
 */
export function register(app: App, deps: SlackDeps): void {
  app.command(SLASH_COMMAND, async (args) => {
    const [subcommand = '', ...words] = args.command.text.trim().split(/\s+/);
    const handler = SUBCOMMANDS.get(subcommand.toLowerCase());
    if (!handler) {
      const known = subcommand === '' || subcommand.toLowerCase() === 'help';
      const unknown = `Unknown command \`${escapeMrkdwn(subcommand.slice(0, 50).replaceAll('`', "'"))}\`. `;
      await args.ack({ response_type: 'ephemeral', text: `${known ? '' : unknown}${helpText()}` });
      return;
    }
    await handler(args, words, deps);
  });
}
