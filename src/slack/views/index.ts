import type { App } from '@slack/bolt';
import type { SlackDeps } from '../deps.js';
import * as planSubmission from './plan-submission.js';
import * as setupSubmission from './setup-submission.js';

export function register(app: App, deps: SlackDeps): void {
  setupSubmission.register(app, deps);
  planSubmission.register(app, deps);
}
