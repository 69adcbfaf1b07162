import type { App } from '@slack/bolt';
import type { SlackDeps } from '../deps.js';
import * as consentButtons from './consent-buttons.js';
import * as planButtons from './plan-buttons.js';

export function register(app: App, deps: SlackDeps): void {
  planButtons.register(app, deps);
  consentButtons.register(app, deps);
}
