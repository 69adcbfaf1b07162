import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACTION, CALLBACK, DENY_BLOCK, REQUEST_BLOCK } from '../../src/slack/ids.js';
import type { SlackCall } from '../standins/slack-api.js';
import { latestCard, submitRequest } from '../support/request-steps.js';
import { clickButton, mark, runCommand, submitView } from '../support/setup-steps.js';
import { ADMIN, MEMBER, startWorld, type World } from '../support/world.js';

/**
 * The attack from the issue: a member files a request whose team pings the channel and whose
 * reason is a link disguised under the bot's name. Every place the bot shows them must show
 * the text as typed (`&lt;!channel&gt;` is how Slack is told "these are just characters").
 */
const TEAM = '<!channel> Security team';
const REASON = 'approve via <https://evil.example/login|the admin console>';
const DENY_REASON = '<!here> see <@UOUTSIDE1> & <#C0REPORTS>';

/**
 * What Slack would read as markup: everything the bot sent except `plain_text` objects (modal
 * labels, button text, confirmation dialogs), where Slack shows `<!channel>` as those characters
 * and never pings.
 */
const shown = (value: unknown) => JSON.stringify(value, (_key, node: unknown) => (isPlainText(node) ? '[plain_text]' : node));

function isPlainText(node: unknown): boolean {
  return typeof node === 'object' && node !== null && (node as { type?: unknown }).type === 'plain_text';
}
const RAW_MARKUP = ['<!channel>', '<!here>', '<!everyone>', '<https://evil', '<@UOUTSIDE1>', '<#C0REPORTS>'];

describe('typed mentions and links reach Slack as text', () => {
  let world: World;
  let card: SlackCall;
  beforeAll(async () => {
    world = await startWorld();
    card = await submitRequest(world, MEMBER, 'new_connection', { [REQUEST_BLOCK.spoke]: 'jira', [REQUEST_BLOCK.site]: world.site.url, [REQUEST_BLOCK.team]: TEAM, [REQUEST_BLOCK.reason]: REASON });
    await world.bot.tasks.idle();
  });
  afterAll(async () => {
    await world.close();
  });

  it("the approvers' card shows the team and the reason literally", () => {
    const blocks = shown(card.args.blocks);
    expect(blocks).toContain('&lt;!channel&gt; Security team');
    expect(blocks).toContain('&lt;https://evil.example/login|the admin console&gt;');
    // The bot's own mention of the requester stays a mention.
    expect(blocks).toContain(`<@${MEMBER}>`);
    for (const raw of RAW_MARKUP) expect(shown(card.args)).not.toContain(raw);
  });

  it("the requester's DM shows the team literally", async () => {
    const dm = await world.slack.waitForCall('chat.postMessage', (c) => c.args.channel === world.slack.dmChannelFor(MEMBER) && /Your request #1/.test(String(c.args.text)));
    expect(shown(dm.args.blocks)).toContain('&lt;!channel&gt; Security team');
    expect(String(dm.args.text)).toContain('&lt;!channel&gt; Security team');
    for (const raw of RAW_MARKUP) expect(shown(dm.args)).not.toContain(raw);
  });

  it('`/spoke requests` lists it literally, for the approver and for the requester', async () => {
    for (const user of [ADMIN, MEMBER]) {
      const since = mark(world);
      await runCommand(world, 'requests', user);
      const answer = await world.slack.waitForCall('response_url', (c) => world.slack.calls.indexOf(c) >= since);
      const blocks = shown(answer.args.blocks);
      expect(blocks).toContain('&lt;!channel&gt; Security team');
      expect(blocks).toContain('&lt;https://evil.example/login|the admin console&gt;');
      for (const raw of RAW_MARKUP) expect(shown(answer.args)).not.toContain(raw);
    }
  });

  it('a typed deny reason reaches the requester and the card as text', async () => {
    const since = mark(world);
    await clickButton(world, card, ACTION.denyRequest, ADMIN);
    const opened = await world.slack.waitForCall('views.open', (c) => world.slack.calls.indexOf(c) >= since && (c.args.view as { callback_id?: string }).callback_id === CALLBACK.denyModal);
    // The deny modal quotes the request too.
    expect(shown(opened.args.view)).toContain('&lt;!channel&gt; Security team');
    await submitView(world, opened.response.view as Record<string, unknown>, { [DENY_BLOCK.reason]: DENY_REASON }, ADMIN);
    const dm = await world.slack.waitForCall('chat.postMessage', (c) => world.slack.calls.indexOf(c) >= since && c.args.channel === world.slack.dmChannelFor(MEMBER) && /was denied/.test(String(c.args.text)));
    expect(String(dm.args.text)).toContain('&lt;!here&gt; see &lt;@UOUTSIDE1&gt; &amp; &lt;#C0REPORTS&gt;');
    // The approver who decided is named with a real mention.
    expect(String(dm.args.text)).toContain(`<@${ADMIN}>`);
    await world.bot.tasks.idle();
    const updated = shown(latestCard(world, card).blocks);
    expect(updated).toContain('Reason: &lt;!here&gt; see &lt;@UOUTSIDE1&gt; &amp; &lt;#C0REPORTS&gt;');
  });

  it('nothing the bot sent to Slack carries the typed markup raw', () => {
    const everything = shown(world.slack.calls.map((c) => c.args));
    for (const raw of RAW_MARKUP) expect(everything).not.toContain(raw);
  });
});
