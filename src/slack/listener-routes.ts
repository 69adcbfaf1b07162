import type { App, Middleware, SlackActionMiddlewareArgs, SlackViewMiddlewareArgs } from '@slack/bolt';

type ActionListener = Middleware<SlackActionMiddlewareArgs>;
type ViewListener = Middleware<SlackViewMiddlewareArgs>;

/**
 * Bolt runs every registered listener's matching middleware on every request, whichever kind it
 * is: with one Bolt listener per button and per modal, a `/spoke` command went through some
 * thirty listeners' middleware (an argument object copied and a promise chain each) before its
 * own listener could ack, most of the difference between spokebot's ack and a bare Bolt app's.
 * So the listener files register into these routes instead, and Bolt gets one listener per
 * kind, which finds the one to run by id in a Map.
 *
 * A route is taken only for what Bolt would match by id alone: an exact action_id, or an exact
 * callback_id with a view type, and a single listener function. Anything else (a RegExp, a
 * block_id, listener middleware) goes to Bolt as it was given, so nothing registered here
 * matches differently from before. One listener per id: two would both ack the same request.
 */
export class ListenerRoutes {
  private readonly actions = new Map<string, ActionListener>();
  private readonly views = new Map<string, ViewListener>();
  private mounted = false;

  /**
   * The app as the listener files see it: `action` and `view` register here, every other method
   * and property is the app's own (it is the prototype, so `this` inside Bolt's methods still
   * reaches the app's listener list).
   */
  readonly app: App;

  constructor(private readonly target: App) {
    this.app = Object.create(target, {
      action: { value: (constraint: unknown, ...listeners: unknown[]) => this.addAction(constraint, listeners) },
      view: { value: (constraint: unknown, ...listeners: unknown[]) => this.addView(constraint, listeners) },
    });
  }

  /** Gives Bolt one listener for the routed actions and one for the routed views; call once every file has registered. */
  mount(): void {
    if (this.mounted) throw new Error('listener routes are already mounted');
    this.mounted = true;
    if (this.actions.size > 0) {
      this.target.action(exactly(this.actions.keys()), async (args) => {
        const listener = this.actions.get(actionIdOf(args.payload));
        if (listener) await listener(args);
      });
    }
    if (this.views.size > 0) {
      const callbackIds = new Set([...this.views.keys()].map((key) => key.slice(key.indexOf(':') + 1)));
      // No type in the constraint: the route's key carries it, and a type with no route runs nothing, as before.
      this.target.view({ callback_id: exactly(callbackIds) }, async (args) => {
        const listener = this.views.get(viewKey(args.body.type, args.body.view.callback_id));
        if (listener) await listener(args);
      });
    }
  }

  private addAction(constraint: unknown, listeners: unknown[]): void {
    if (typeof constraint !== 'string' || listeners.length !== 1) return this.passOn('action', constraint, listeners);
    this.add(this.actions, constraint, listeners[0] as ActionListener, `action ${constraint}`);
  }

  private addView(constraint: unknown, listeners: unknown[]): void {
    // A bare callback_id means its submissions, as in Bolt.
    const { callback_id: callbackId, type = 'view_submission', ...others } = typeof constraint === 'string' ? { callback_id: constraint } : isObject(constraint) ? constraint : {};
    const routable = typeof callbackId === 'string' && (type === 'view_submission' || type === 'view_closed') && Object.keys(others).length === 0 && listeners.length === 1;
    if (!routable) return this.passOn('view', constraint, listeners);
    this.add(this.views, viewKey(type, callbackId), listeners[0] as ViewListener, `${type} ${callbackId}`);
  }

  private add<L>(routes: Map<string, L>, key: string, listener: L, what: string): void {
    if (this.mounted) throw new Error(`${what} was registered after its routes were mounted: Bolt would never run it`);
    if (routes.has(key)) throw new Error(`${what} has two listeners: both would answer the same request`);
    routes.set(key, listener);
  }

  private passOn(method: 'action' | 'view', constraint: unknown, listeners: unknown[]): void {
    (this.target[method] as (constraint: unknown, ...listeners: unknown[]) => void)(constraint, ...listeners);
  }
}

const viewKey = (type: string, callbackId: string) => `${type}:${callbackId}`;

/** Bolt matched the route's RegExp against a block action's `action_id`; other action kinds (legacy attachments, dialogs) carry none. */
function actionIdOf(payload: object): string {
  return 'action_id' in payload && typeof payload.action_id === 'string' ? payload.action_id : '';
}

/** A RegExp matching exactly these strings and nothing else. */
function exactly(values: Iterable<string>): RegExp {
  const escaped = [...values].map((value) => value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`^(?:${escaped.join('|')})$`);
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null;
