import type { App } from '@slack/bolt';
import type { SlackDeps } from '../deps.js';
import * as appHomeOpened from './app-home-opened.js';

export function register(app: App, deps: SlackDeps): void {
  appHomeOpened.register(app, deps);
}
