import { planApiTokenRecords } from './api-token-plan.js';
import { planOAuthRecords, type AtlassianEndpoints } from './oauth-plan.js';
import type { RecordPlan } from './record-plan.js';
import type { SetupRequest } from './setup-request.js';

/** The plan for whatever sign-in method the request uses. */
export function planRecords(request: SetupRequest, cloudId: string, atlassian: AtlassianEndpoints): RecordPlan {
  return request.method === 'api_token' ? planApiTokenRecords(request, cloudId, atlassian) : planOAuthRecords(request, cloudId, atlassian);
}
