/**
 * Every callback_id, action_id and block_id, in one place: the view that renders an id and the
 * listener that reads it both import it from here.
 */
export const CALLBACK = {
  setupModal: 'spoke_setup',
  planModal: 'spoke_setup_plan',
} as const;

/** Setup modal inputs: block_id (where `response_action: errors` lands) and action_id. */
export const SETUP_BLOCK = {
  connectionName: 'setup_connection_name',
  site: 'setup_site',
  clientId: 'setup_client_id',
  clientSecret: 'setup_client_secret',
  scopes: 'setup_scopes',
  channel: 'setup_channel',
} as const;

export const SETUP_INPUT_ACTION = 'value';

export const ACTION = {
  confirmPlan: 'setup_confirm',
  cancelPlan: 'setup_cancel',
  retrySetup: 'setup_retry',
  openConsent: 'setup_open_consent',
  retryConsent: 'setup_retry_consent',
} as const;
