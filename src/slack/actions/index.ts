import type { App } from '@slack/bolt';
import type { SlackDeps } from '../deps.js';
import { ListenerRoutes } from '../listener-routes.js';
import * as cancelPlan from './cancel-plan.js';
import * as checkNow from './check-now.js';
import * as chooseRequestKind from './choose-request-kind.js';
import * as decideRequest from './decide-request.js';
import * as requestFollowups from './request-followups.js';
import * as chooseMethod from './choose-method.js';
import * as confirmPlan from './confirm-plan.js';
import * as editSetupForm from './edit-setup-form.js';
import * as fixCredential from './fix-credential.js';
import * as homeSetups from './home-setups.js';
import * as openConsent from './open-consent.js';
import * as pickReportChannel from './pick-report-channel.js';
import * as retryConsent from './retry-consent.js';
import * as retrySetup from './retry-setup.js';
import * as reopenSetup from './reopen-setup.js';

/** The buttons and menus' listeners, as one Bolt listener that finds each by id (listener-routes.ts says why). */
export function register(app: App, deps: SlackDeps): void {
  const routes = new ListenerRoutes(app);
  chooseMethod.register(routes.app, deps);
  confirmPlan.register(routes.app, deps);
  cancelPlan.register(routes.app, deps);
  editSetupForm.register(routes.app, deps);
  retrySetup.register(routes.app, deps);
  reopenSetup.register(routes.app, deps);
  homeSetups.register(routes.app, deps);
  openConsent.register(routes.app, deps);
  retryConsent.register(routes.app, deps);
  checkNow.register(routes.app, deps);
  fixCredential.register(routes.app, deps);
  chooseRequestKind.register(routes.app, deps);
  decideRequest.register(routes.app, deps);
  requestFollowups.register(routes.app, deps);
  pickReportChannel.register(routes.app, deps);
  routes.mount();
}
