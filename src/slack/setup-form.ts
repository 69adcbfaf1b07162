import type { ModalView } from '@slack/types';
import { oauthCallbackUrl } from '../core/consent-link.js';
import { defaultTokenExpiry } from '../core/setup-request.js';
import type { PendingSetup } from '../store/spoke-store.js';
import { setupModal, type SetupModalOptions, type SetupModalValues } from './blocks/setup-modal.js';
import type { SlackDeps } from './deps.js';

/** The setup modal with what only the running bot knows: its instance's callback URL and today. */
export function setupForm(deps: SlackDeps, options: Omit<SetupModalOptions, 'callbackUrl' | 'defaultTokenExpiry'>): ModalView {
  return setupModal({ ...options, callbackUrl: oauthCallbackUrl(deps.instanceUrl), defaultTokenExpiry: defaultTokenExpiry(deps.now()) });
}

/** A setup's answers, to draw its form again (never the secret). */
export function formValuesOf(setup: Pick<PendingSetup, 'connectionName' | 'siteOrigin' | 'clientId' | 'scopes' | 'channel' | 'email' | 'tokenExpiresOn' | 'scopedToken'>): SetupModalValues {
  return {
    connectionName: setup.connectionName,
    site: setup.siteOrigin,
    clientId: setup.clientId,
    scopes: setup.scopes,
    channel: setup.channel,
    ...(setup.email ? { email: setup.email } : {}),
    ...(setup.tokenExpiresOn ? { tokenExpiry: setup.tokenExpiresOn } : {}),
    ...(setup.scopedToken !== undefined ? { tokenScoped: setup.scopedToken } : {}),
  };
}
