import type { App } from '@slack/bolt';
import type { SlackDeps } from '../deps.js';
import * as spokeCommand from './spoke-command.js';

export function register(app: App, deps: SlackDeps): void {
  spokeCommand.register(app, deps);
}
