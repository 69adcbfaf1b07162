import type { App } from '@slack/bolt';
import type { SlackDeps } from '../deps.js';
import { ListenerRoutes } from '../listener-routes.js';
import * as denySubmitted from './deny-submitted.js';
import * as planClosed from './plan-closed.js';
import * as planConfirmed from './plan-confirmed.js';
import * as removeConfirmed from './remove-confirmed.js';
import * as requestSubmitted from './request-submitted.js';
import * as rotateSubmitted from './rotate-submitted.js';
import * as setupClosed from './setup-closed.js';
import * as setupSubmitted from './setup-submitted.js';

/** The modals' listeners, as one Bolt listener that finds each by id (listener-routes.ts says why). */
export function register(app: App, deps: SlackDeps): void {
  const routes = new ListenerRoutes(app);
  setupSubmitted.register(routes.app, deps);
  setupClosed.register(routes.app, deps);
  planConfirmed.register(routes.app, deps);
  planClosed.register(routes.app, deps);
  rotateSubmitted.register(routes.app, deps);
  removeConfirmed.register(routes.app, deps);
  requestSubmitted.register(routes.app, deps);
  denySubmitted.register(routes.app, deps);
  routes.mount();
}
