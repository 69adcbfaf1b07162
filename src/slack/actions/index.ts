import type { App } from '@slack/bolt';
import type { SlackDeps } from '../deps.js';
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

/** The buttons and menus' listeners (app.ts registers them through listener-routes.ts, which says why). */
export function register(app: App, deps: SlackDeps): void {
  chooseMethod.register(app, deps);
  confirmPlan.register(app, deps);
  cancelPlan.register(app, deps);
  editSetupForm.register(app, deps);
  retrySetup.register(app, deps);
  reopenSetup.register(app, deps);
  homeSetups.register(app, deps);
  openConsent.register(app, deps);
  retryConsent.register(app, deps);
  checkNow.register(app, deps);
  fixCredential.register(app, deps);
  chooseRequestKind.register(app, deps);
  decideRequest.register(app, deps);
  requestFollowups.register(app, deps);
  pickReportChannel.register(app, deps);
}
