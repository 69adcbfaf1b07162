import { closestMatch } from './suggest.js';

/**
 * The Atlassian OAuth 2.0 scopes spokebot knows, so a typo in the setup form is caught in the
 * form rather than at consent, where Atlassian ends on "Something went wrong" and ServiceNow
 * never gets a token. This list is the product's knowledge of the scopes published for Jira
 * platform, Jira Software, Jira Service Management, Confluence and the user identity API, not
 * Atlassian's registry: a scope Atlassian adds later is refused until it is added here (one
 * line). Every spoke default is listed (test/unit/atlassian-scopes.test.ts holds them to it).
 */

/** Classic scopes: one per broad area of a product. */
const CLASSIC = [
  // Jira platform
  'read:jira-user',
  'read:jira-work',
  'write:jira-work',
  'manage:jira-project',
  'manage:jira-configuration',
  'manage:jira-webhook',
  'manage:jira-data-provider',
  // Jira Service Management
  'read:servicedesk-request',
  'write:servicedesk-request',
  'manage:servicedesk-customer',
  'read:servicemanagement-insight-objects',
  // Confluence
  'read:confluence-content.all',
  'read:confluence-content.summary',
  'read:confluence-content.permission',
  'write:confluence-content',
  'write:confluence-file',
  'read:confluence-props',
  'write:confluence-props',
  'read:confluence-space.summary',
  'write:confluence-space',
  'manage:confluence-configuration',
  'read:confluence-user',
  'read:confluence-groups',
  'write:confluence-groups',
  'search:confluence',
  'readonly:content.attachment:confluence',
  // User identity and the refresh token
  'read:me',
  'read:account',
  'offline_access',
  // Personal data reporting
  'report:personal-data',
] as const;

/** `verb:resource:product` for each resource; verbs a resource lacks are left out. */
function granular(product: string, resources: Record<string, readonly string[]>): string[] {
  return Object.entries(resources).flatMap(([resource, verbs]) => verbs.map((verb) => `${verb}:${resource}:${product}`));
}

const R = ['read'] as const;
const RW = ['read', 'write'] as const;
const RWD = ['read', 'write', 'delete'] as const;

const JIRA = granular('jira', {
  'application-role': R,
  'audit-log': R,
  attachment: RWD,
  avatar: RWD,
  comment: RWD,
  'comment.property': RWD,
  dashboard: RWD,
  'dashboard.property': RWD,
  field: RWD,
  'field-configuration': RWD,
  'field-configuration-scheme': RWD,
  'field.default-value': RW,
  'field.option': RWD,
  filter: RWD,
  'filter.column': RWD,
  'filter.default-share-scope': RW,
  group: RWD,
  'instance-configuration': RW,
  issue: RWD,
  'issue-details': R,
  'issue-event': R,
  'issue-link': RWD,
  'issue-link-type': RWD,
  'issue-meta': R,
  'issue-security-level': R,
  'issue-security-scheme': RWD,
  'issue-status': R,
  'issue-type': RWD,
  'issue-type-scheme': RWD,
  'issue-type-screen-scheme': RWD,
  'issue-type.property': RWD,
  'issue-worklog': RWD,
  'issue-worklog.property': RWD,
  'issue.changelog': R,
  'issue.property': RWD,
  'issue.remote-link': RWD,
  'issue.time-tracking': RW,
  'issue.transition': R,
  'issue.vote': RW,
  'issue.votes': R,
  'issue.watcher': RW,
  jql: R,
  label: R,
  license: R,
  notification: ['send'],
  'notification-scheme': R,
  permission: RWD,
  'permission-scheme': RWD,
  priority: RWD,
  project: RWD,
  'project-category': RWD,
  'project-role': RWD,
  'project-type': R,
  'project-version': RWD,
  'project.avatar': RWD,
  'project.component': RWD,
  'project.email': RW,
  'project.feature': RW,
  'project.property': RWD,
  resolution: RWD,
  screen: RWD,
  'screen-scheme': RWD,
  'screen-tab': RWD,
  'screen-field': RWD,
  'screenable-field': RWD,
  status: R,
  user: R,
  'user-configuration': RWD,
  'user.columns': R,
  'user.property': RWD,
  webhook: RWD,
  workflow: RWD,
  'workflow-scheme': RWD,
  'workflow.property': RWD,
});

const JIRA_SOFTWARE = granular('jira-software', {
  'board-scope': RW,
  'board-scope.admin': RW,
  build: RWD,
  deployment: RWD,
  design: RWD,
  epic: RW,
  'feature-flag': RWD,
  issue: RW,
  'remote-link': RWD,
  'source-code': RWD,
  sprint: RWD,
});

const JIRA_SERVICE_MANAGEMENT = granular('jira-service-management', {
  customer: RW,
  knowledgebase: R,
  organization: RWD,
  'organization.property': RWD,
  'organization.user': RWD,
  queue: R,
  request: RW,
  'request.approval': RW,
  'request.attachment': RW,
  'request.comment': RW,
  'request.feedback': RWD,
  'request.notification': RWD,
  'request.participant': RWD,
  'request.sla': R,
  'request.status': RW,
  requesttype: RW,
  'requesttype.property': RWD,
  servicedesk: R,
  'servicedesk.customer': RWD,
  'servicedesk.organization': RWD,
  'servicedesk.property': RWD,
});

const CONFLUENCE = [
  ...granular('confluence', {
    'analytics.content': R,
    'app-data': RW,
    attachment: RWD,
    'audit-log': RW,
    blogpost: RWD,
    comment: RWD,
    configuration: RW,
    content: RWD,
    'content-details': R,
    'content.metadata': R,
    'content.permission': R,
    'content.property': RW,
    'content.restriction': RW,
    'custom-content': RWD,
    database: RWD,
    embed: RWD,
    folder: RWD,
    group: RW,
    'hierarchical-content': R,
    inlinetask: RW,
    label: RW,
    page: RWD,
    relation: RW,
    space: RWD,
    'space-details': R,
    'space.permission': RW,
    'space.property': RW,
    'space.setting': RW,
    task: RW,
    template: RW,
    user: R,
    'user.property': RWD,
    watcher: RW,
    whiteboard: RWD,
  }),
  // One of the Confluence spoke's defaults, not of the resource:product form.
  'ace:confluence',
];

/** Every scope spokebot accepts, most used first: a typo's nearest match favours the common ones. */
export const ATLASSIAN_SCOPES: readonly string[] = [...new Set([...CLASSIC, ...JIRA, ...JIRA_SOFTWARE, ...JIRA_SERVICE_MANAGEMENT, ...CONFLUENCE])];

const KNOWN = new Set(ATLASSIAN_SCOPES);

export function isKnownScope(scope: string): boolean {
  return KNOWN.has(scope);
}

/** No scope is longer than this; a longer word is nothing like one and gets no suggestion. */
const LONGEST = Math.max(...ATLASSIAN_SCOPES.map((s) => s.length));

/**
 * The known scope a typed one was probably meant to be: the same in lower case, the typed one
 * with its product left off (`read:sprint` → `read:sprint:jira-software`), or one a few edits
 * away (`read:jira-wrok` → `read:jira-work`). Undefined when nothing is close.
 */
export function suggestScope(typed: string): string | undefined {
  const lower = typed.toLowerCase();
  if (lower.length > LONGEST + 2) return undefined;
  if (KNOWN.has(lower)) return lower;
  // Only a verb and a resource (`read:sprint`): the product was left off. A bare verb is not enough to go on.
  const withProduct = lower.includes(':') ? ATLASSIAN_SCOPES.find((scope) => scope.startsWith(`${lower}:`)) : undefined;
  if (withProduct) return withProduct;
  return closestMatch(lower, ATLASSIAN_SCOPES, (scope) => Math.max(2, Math.floor(scope.length / 8)));
}
