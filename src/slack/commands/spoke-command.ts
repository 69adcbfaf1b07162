import type { App, SlackCommandMiddlewareArgs } from '@slack/bolt';
import { closestMatch } from '../../core/suggest.js';
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

/** Every word `/spoke` answers to, in the order help lists them; manifest.yml's usage_hint names each (a unit test holds them together). */
export const SUBCOMMAND_NAMES: readonly string[] = [...SUBCOMMANDS.keys(), 'help'];

/** The subcommand a mistyped word was probably meant to be: a third of its letters wrong at most, so `stauts` finds status and `frobnicate` nothing. */
export function suggestSubcommand(word: string): string | undefined {
  return closestMatch(word.toLowerCase(), SUBCOMMAND_NAMES, (name) => Math.max(1, Math.floor(name.length / 3)));
}

/** Shown as typed, inside a code span: escaped, without backticks that would end it, clipped. */
const asTyped = (text: string, max: number) => escapeMrkdwn((text.length > max ? `${text.slice(0, max - 1)}…` : text).replaceAll('`', "'"));

/** "`stauts` is not a /spoke command; did you mean `/spoke status`?", then help. */
export function unknownCommandText(subcommand: string, words: readonly string[]): string {
  const suggestion = suggestSubcommand(subcommand);
  // The rest of what was typed goes with the suggestion when it is short enough to read at a glance.
  const rest = words.join(' ');
  const then = rest !== '' && rest.length <= 80 ? ` ${asTyped(rest, 80)}` : '';
  const head = `\`${asTyped(subcommand, 50)}\` is not a ${SLASH_COMMAND} command${suggestion ? `; did you mean \`${SLASH_COMMAND} ${suggestion}${then}\`?` : '.'}`;
  return `${head}\n\n${helpText()}`;
}

/** The same text every time: built once, not per command (and not kept once per request by the redelivery guard). */
const HELP_ANSWER = Object.freeze({ response_type: 'ephemeral', text: helpText() } as const);

/**
 * `/spoke <subcommand>`. Answers that need no lookup go back in the ack itself; anything that
 * calls Slack or ServiceNow runs after it. Empty text and `help` show help; an unknown word is
 * named, with the subcommand it is closest to, before the help.
 */
export function register(app: App, deps: SlackDeps): void {
  app.command(SLASH_COMMAND, async (args) => {
    const [subcommand = '', ...words] = args.command.text.trim().split(/\s+/);
    const handler = SUBCOMMANDS.get(subcommand.toLowerCase());
    if (!handler) {
      const known = subcommand === '' || subcommand.toLowerCase() === 'help';
      await args.ack(known ? HELP_ANSWER : { response_type: 'ephemeral', text: unknownCommandText(subcommand, words) });
      return;
    }
    await handler({ ...args, ack: ackThenYield(args.ack) }, words, deps);
  });
}

/**
 * A subcommand's ack that returns only after the event loop's next turn. The answer is written
 * at once; what the subcommand does after it (the setup modal's views.open: building the view,
 * the Web API call) then waits behind the commands that arrived meanwhile and have not been
 * acked yet, instead of running ahead of them. With 200 `/spoke setup` at once, the work after
 * each ack ran before the next command was read, and the last ack waited for 199 modals.
 */
function ackThenYield(ack: SlackCommandMiddlewareArgs['ack']): SlackCommandMiddlewareArgs['ack'] {
  return async (response) => {
    await ack(response);
    await new Promise((resolve) => setImmediate(resolve));
  };
}
