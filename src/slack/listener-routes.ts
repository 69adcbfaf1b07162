import type { AllMiddlewareArgs, AnyMiddlewareArgs, App, Middleware, SlackActionMiddlewareArgs, SlackCommandMiddlewareArgs, SlackEventMiddlewareArgs, SlackViewMiddlewareArgs } from '@slack/bolt';

type ActionListener = Middleware<SlackActionMiddlewareArgs>;
type ViewListener = Middleware<SlackViewMiddlewareArgs>;
type CommandListener = Middleware<SlackCommandMiddlewareArgs>;
type EventListener = Middleware<SlackEventMiddlewareArgs>;
type AnyListener = (args: AnyMiddlewareArgs & AllMiddlewareArgs) => Promise<void>;

/**
 * Bolt runs every registered listener's middleware on every request, whichever kind it is (an
 * argument object copied, a type filter, a matcher and a promise chain each, then an allSettled
 * over them all): with one Bolt listener per button and per modal, a `/spoke` command went
 * through some thirty of them before its own could ack, most of the difference between
 * spokebot's ack and a bare Bolt app's; with one per kind, still four. So the listener files
 * register into these routes, and Bolt gets one global middleware that finds the one listener
 * to run by kind and id in a Map, and hands Bolt (`next()`) only what no route takes.
 *
 * A route is taken only for what Bolt would match by name or id alone: a command's exact name, an
 * event's exact type, an exact action_id, or an exact callback_id with a view type, each with a
 * single listener function. Anything else (a RegExp, a block_id, listener middleware) goes to
 * Bolt as it was given, so nothing registered here matches differently from before. One listener
 * per name or id: two would both ack the same request. The middleware is given what a listener
 * is given (Bolt builds one argument object for both), and runs after Bolt's own global
 * middleware (ignoring the bot's own events), as listeners did.
 */
export class ListenerRoutes {
  private readonly actions = new Map<string, ActionListener>();
  private readonly views = new Map<string, ViewListener>();
  private readonly commands = new Map<string, CommandListener>();
  private readonly events = new Map<string, EventListener>();
  private mounted = false;

  /**
   * The app as the listener files see it: `command`, `event`, `action` and `view` register here,
   * every other method and property is the app's own (it is the prototype, so `this` inside
   * Bolt's methods still reaches the app's listener list).
   */
  readonly app: App;

  constructor(private readonly target: App) {
    this.app = Object.create(target, {
      action: { value: (constraint: unknown, ...listeners: unknown[]) => this.addAction(constraint, listeners) },
      view: { value: (constraint: unknown, ...listeners: unknown[]) => this.addView(constraint, listeners) },
      command: { value: (name: unknown, ...listeners: unknown[]) => this.addNamed('command', this.commands, name, listeners) },
      event: { value: (type: unknown, ...listeners: unknown[]) => this.addNamed('event', this.events, type, listeners) },
    });
  }

  /** Gives Bolt the one middleware that runs the routes; call once every file has registered. */
  mount(): void {
    if (this.mounted) throw new Error('listener routes are already mounted');
    this.mounted = true;
    this.target.use(async (args) => {
      const listener = this.routeOf(args.body) as AnyListener | undefined;
      if (!listener) return args.next();
      // As Bolt calls a listener: the same arguments, and a `next` that does nothing.
      await listener({ ...args, next: async () => undefined });
    });
  }

  /** The listener for this request, by what Bolt's matchers would have compared. */
  private routeOf(body: unknown): unknown {
    if (!isObject(body)) return undefined;
    if (typeof body.command === 'string') return this.commands.get(body.command);
    switch (body.type) {
      case 'block_actions':
        return Array.isArray(body.actions) && isObject(body.actions[0]) ? this.actions.get(String(body.actions[0].action_id ?? '')) : undefined;
      case 'view_submission':
      case 'view_closed':
        return isObject(body.view) && typeof body.view.callback_id === 'string' ? this.views.get(viewKey(body.type, body.view.callback_id)) : undefined;
      case 'event_callback':
        return isObject(body.event) && typeof body.event.type === 'string' ? this.events.get(body.event.type) : undefined;
      default:
        return undefined;
    }
  }

  private addNamed<L>(method: 'command' | 'event', routes: Map<string, L>, name: unknown, listeners: unknown[]): void {
    if (typeof name !== 'string' || listeners.length !== 1) return this.passOn(method, name, listeners);
    this.add(routes, name, listeners[0] as L, `${method} ${name}`);
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

  private passOn(method: 'action' | 'view' | 'command' | 'event', constraint: unknown, listeners: unknown[]): void {
    (this.target[method] as (constraint: unknown, ...listeners: unknown[]) => void)(constraint, ...listeners);
  }
}

const viewKey = (type: string, callbackId: string) => `${type}:${callbackId}`;

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null;
