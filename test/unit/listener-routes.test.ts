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
  it('runs the one listener registered for an action_id, through one Bolt middleware and no Bolt listener, and nothing for an id it does not know', async () => {
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
    expect((app as unknown as { listeners: unknown[] }).listeners).toHaveLength(0);

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

  it('runs a command by its exact name and an event by its exact type, with the arguments a Bolt listener gets', async () => {
    const app = boltApp();
    const routes = new ListenerRoutes(app);
    const ran: string[] = [];
    routes.app.command('/spoke', async ({ ack, command, respond, say, client }) => {
      ran.push(`command ${command.text}`);
      expect([typeof respond, typeof say, typeof client.chat.postMessage]).toEqual(['function', 'function', 'function']);
      await ack({ text: 'hi' });
    });
    routes.app.event('app_home_opened', async ({ event }) => {
      ran.push(`event ${event.type} ${event.user}`);
    });
    routes.mount();

    const command = (name: string) => ({ command: name, text: 'help', user_id: 'U1', team_id: 'T1', channel_id: 'C1', trigger_id: 't', response_url: 'http://x' });
    expect(await deliver(app, command('/spoke'))).toEqual([{ text: 'hi' }]);
    expect(await deliver(app, command('/spoke2'))).toEqual([]);
    const event = (type: string) => ({ type: 'event_callback', team_id: 'T1', api_app_id: 'A1', event_id: 'Ev1', event_time: 1, event: { type, user: 'U1', channel: 'D1', tab: 'home' } });
    // Events API deliveries are acked by Bolt before any listener runs.
    expect(await deliver(app, event('app_home_opened'))).toEqual([undefined]);
    expect(await deliver(app, event('app_mention'))).toEqual([undefined]);
    expect(ran).toEqual(['command help', 'event app_home_opened U1']);
  });

  it('passes what no route takes to the listeners Bolt holds, and a listener\'s failure to Bolt\'s error handler', async () => {
    const app = boltApp();
    const failures: string[] = [];
    app.error(async (error) => void failures.push(error.message));
    const routes = new ListenerRoutes(app);
    routes.app.action('boom', async ({ ack }) => {
      await ack();
      throw new Error('listener failed');
    });
    routes.mount();
    const ran: string[] = [];
    // Registered on the app itself, after mounting: Bolt runs it when no route took the request.
    app.action('other', async ({ ack }) => {
      ran.push('bolt listener');
      await ack();
    });

    expect(await deliver(app, blockAction('other'))).toEqual([undefined]);
    expect(await deliver(app, blockAction('boom'))).toEqual([undefined]);
    expect(ran).toEqual(['bolt listener']);
    expect(failures).toEqual(['listener failed']);
  });

  it('refuses two listeners for one id, and a listener registered after mounting, at start rather than in a request', () => {
    const routes = new ListenerRoutes(boltApp());
    routes.app.action('approve', async () => undefined);
    expect(() => routes.app.action('approve', async () => undefined)).toThrow(/two listeners/);
    routes.mount();
    expect(() => routes.app.view('late', async () => undefined)).toThrow(/after its routes were mounted/);
  });
});
