import { App, type Receiver } from '@slack/bolt';
import { describe, expect, it } from 'vitest';
import { ListenerRoutes } from '../../src/slack/listener-routes.js';

/** A Bolt app with one token and no transport: requests go straight to processEvent. */
function boltApp(): App {
  const receiver: Receiver = { init: () => undefined, start: async () => undefined, stop: async () => undefined };
  return new App({ receiver, authorize: async () => ({ botToken: 'xoxb-test', botId: 'B1', botUserId: 'U0BOT' }) });
}

async function deliver(app: App, body: Record<string, unknown>): Promise<unknown[]> {
  const acks: unknown[] = [];
  await app.processEvent({ body, ack: async (response?: unknown) => void acks.push(response) });
  return acks;
}

const blockAction = (actionId: string) => ({
  type: 'block_actions',
  user: { id: 'U1', team_id: 'T1' },
  team: { id: 'T1' },
  trigger_id: 't',
  container: { type: 'message' },
  actions: [{ type: 'button', action_id: actionId, block_id: 'b' }],
});

const viewBody = (type: 'view_submission' | 'view_closed', callbackId: string) => ({
  type,
  user: { id: 'U1', team_id: 'T1' },
  team: { id: 'T1' },
  view: { id: 'V1', callback_id: callbackId, private_metadata: '', state: { values: {} } },
});

describe('listener routes', () => {
  it('runs the one listener registered for an action_id, through one Bolt listener, and nothing for an id it does not know', async () => {
    const app = boltApp();
    const routes = new ListenerRoutes(app);
    const ran: string[] = [];
    for (const id of ['approve', 'deny', 'a.b+c']) {
      routes.app.action(id, async ({ ack }) => {
        ran.push(id);
        await ack();
      });
    }
    routes.mount();

    expect(await deliver(app, blockAction('deny'))).toEqual([undefined]);
    expect(await deliver(app, blockAction('a.b+c'))).toEqual([undefined]);
    // Ids are matched exactly: no RegExp meaning leaks out of one, no prefix matches.
    expect(await deliver(app, blockAction('aXb+c'))).toEqual([]);
    expect(await deliver(app, blockAction('approve2'))).toEqual([]);
    expect(ran).toEqual(['deny', 'a.b+c']);
  });

  it('tells a submission from a closed view with the same callback_id; a bare callback_id means submissions, as in Bolt', async () => {
    const app = boltApp();
    const routes = new ListenerRoutes(app);
    const ran: string[] = [];
    routes.app.view('setup', async ({ ack }) => {
      ran.push('setup submitted');
      await ack({ response_action: 'clear' });
    });
    routes.app.view({ callback_id: 'setup', type: 'view_closed' }, async ({ ack }) => {
      ran.push('setup closed');
      await ack();
    });
    routes.app.view({ callback_id: 'plan', type: 'view_closed' }, async ({ ack }) => {
      ran.push('plan closed');
      await ack();
    });
    routes.mount();

    expect(await deliver(app, viewBody('view_submission', 'setup'))).toEqual([{ response_action: 'clear' }]);
    expect(await deliver(app, viewBody('view_closed', 'setup'))).toEqual([undefined]);
    // A type with no listener for this callback_id runs nothing, as when Bolt matched nothing.
    expect(await deliver(app, viewBody('view_submission', 'plan'))).toEqual([]);
    expect(ran).toEqual(['setup submitted', 'setup closed']);
  });

  it('hands Bolt, unchanged, what it cannot match by id alone, and leaves the rest of the app as it is', async () => {
    const app = boltApp();
    const routes = new ListenerRoutes(app);
    const ran: string[] = [];
    routes.app.action(/^pick_(\w+)$/, async ({ ack, context }) => {
      ran.push(`regexp ${String(context.actionIdMatches?.[1])}`);
      await ack();
    });
    routes.app.action({ action_id: 'go', block_id: 'only_here' }, async ({ ack }) => {
      ran.push('block-scoped go');
      await ack();
    });
    routes.app.command('/spoke', async ({ ack }) => {
      ran.push('command');
      await ack();
    });
    routes.mount();

    await deliver(app, blockAction('pick_channel'));
    await deliver(app, blockAction('go'));
    await deliver(app, { ...blockAction('go'), actions: [{ type: 'button', action_id: 'go', block_id: 'only_here' }] });
    await deliver(app, { command: '/spoke', text: '', user_id: 'U1', team_id: 'T1', channel_id: 'C1', trigger_id: 't', response_url: 'http://x' });
    expect(ran).toEqual(['regexp channel', 'block-scoped go', 'command']);
  });

  it('refuses two listeners for one id, and a listener registered after mounting, at start rather than in a request', () => {
    const routes = new ListenerRoutes(boltApp());
    routes.app.action('approve', async () => undefined);
    expect(() => routes.app.action('approve', async () => undefined)).toThrow(/two listeners/);
    routes.mount();
    expect(() => routes.app.view('late', async () => undefined)).toThrow(/after its routes were mounted/);
  });
});
