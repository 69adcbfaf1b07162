import type { App } from '@slack/bolt';
import type { SlackDeps } from '../deps.js';
import * as denySubmitted from './deny-submitted.js';
import * as planClosed from './plan-closed.js';
import * as planConfirmed from './plan-confirmed.js';
import * as removeConfirmed from './remove-confirmed.js';
import * as requestSubmitted from './request-submitted.js';
import * as rotateSubmitted from './rotate-submitted.js';
import * as setupClosed from './setup-closed.js';
import * as setupSubmitted from './setup-submitted.js';

/** The modals' listeners (app.ts registers them through listener-routes.ts, which says why). */
export function register(app: App, deps: SlackDeps): void {
  setupSubmitted.register(app, deps);
  setupClosed.register(app, deps);
  planConfirmed.register(app, deps);
  planClosed.register(app, deps);
  rotateSubmitted.register(app, deps);
  removeConfirmed.register(app, deps);
  requestSubmitted.register(app, deps);
  denySubmitted.register(app, deps);
}
