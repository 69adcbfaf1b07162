/**
 * Every callback_id, action_id and block_id, in one place: the view that renders an id and the
 * listener that reads it both import it from here.
 */
export const CALLBACK = {
  setupModal: 'spoke_setup',
  planModal: 'spoke_setup_plan',
  rotateModal: 'spoke_rotate',
  removeModal: 'spoke_remove',
  requestModal: 'spoke_request',
  denyModal: 'spoke_request_deny',
} as const;

/** Request modal inputs (action_id SETUP_INPUT_ACTION, except the kind radio). */
export const REQUEST_BLOCK = {
  kind: 'request_kind',
  spoke: 'request_spoke',
  site: 'request_site',
  team: 'request_team',
  connection: 'request_connection',
  groups: 'request_groups',
  scopes: 'request_scopes',
  reason: 'request_reason',
} as const;

export const DENY_BLOCK = { reason: 'deny_reason' } as const;

/** The block holding ACTION.pickReportChannel: this prefix, then the connection's name. */
export const REPORT_CHANNEL_BLOCK = 'report_channel:';

/** Rotate modal inputs (their action_id is SETUP_INPUT_ACTION too). */
export const ROTATE_BLOCK = {
  secret: 'rotate_secret',
  tokenExpiry: 'rotate_token_expiry',
  tokenScoped: 'rotate_token_scoped',
} as const;

/** Setup modal inputs: block_id (where `response_action: errors` lands) and action_id. */
export const SETUP_BLOCK = {
  method: 'setup_method',
  connectionName: 'setup_connection_name',
  site: 'setup_site',
  clientId: 'setup_client_id',
  clientSecret: 'setup_client_secret',
  email: 'setup_email',
  apiToken: 'setup_api_token',
  tokenExpiry: 'setup_token_expiry',
  tokenScoped: 'setup_token_scoped',
  scopes: 'setup_scopes',
  channel: 'setup_channel',
} as const;

export const SETUP_INPUT_ACTION = 'value';

/** The checkbox value meaning "this is a scoped API token". */
export const SCOPED_TOKEN_VALUE = 'scoped';

export const ACTION = {
  /** The sign-in method radio in the setup modal: changing it redraws the fields (dispatch_action). */
  chooseMethod: 'setup_choose_method',
  confirmPlan: 'setup_confirm',
  cancelPlan: 'setup_cancel',
  /** On the plan modal: the form again in its place, every answer kept and the secret held; the value is the setup id. */
  editSetupForm: 'setup_edit_form',
  retrySetup: 'setup_retry',
  /** After a setup ended without its secret (interrupted check, expiry): its form again, prefilled; the value is the setup id. */
  reopenSetup: 'setup_reopen',
  openConsent: 'setup_open_consent',
  /** App Home, admins: the setup form for a spoke (the value is its id), as `/spoke setup <spoke>` opens it. */
  openSetup: 'setup_open_from_home',
  /** App Home, a setup's own admin: go on from where it stands, or end it; the value is the setup id. */
  resumeSetup: 'setup_resume',
  cancelSetup: 'setup_cancel_from_home',
  retryConsent: 'setup_retry_consent',
  /** On alerts, reminders and App Home cards; the value is the connection name. */
  checkNow: 'health_check_now',
  fixRotate: 'health_rotate',
  fixReconsent: 'health_reconsent',
  /** Access requests; the value is the request number. */
  chooseRequestKind: 'request_choose_kind',
  openRequestModal: 'request_open',
  approveRequest: 'request_approve',
  denyRequest: 'request_deny',
  withdrawRequest: 'request_withdraw',
  openRequestedSetup: 'request_open_setup',
  confirmScopeChange: 'request_confirm_scopes',
  /** A users_select on the approver's "open the setup" DM: hand the setup to another admin. */
  handSetupTo: 'request_hand_setup',
  /** After a follow-up of an approved request failed (groups, scopes): do it again; the value is the request number. */
  retryFollowUp: 'request_retry_followup',
  /** A conversations_select on a health notice DM'd because the report channel refused the bot; the block id names the connection. */
  pickReportChannel: 'health_pick_report_channel',
} as const;
