import type { AtlassianClient } from '../atlassian/atlassian-client.js';
import { SPOKES, verificationBaseUrl, type AuthMethod, type SpokeId } from '../core/spoke-catalogue.js';

export interface HeldCredential {
  spoke: SpokeId;
  method: AuthMethod;
  siteOrigin: string;
  cloudId: string;
  clientId?: string;
  email?: string;
  scopedToken?: boolean;
  secret: string;
}

/**
 * Proves an API token or service account works before anything is written (and, later, in
 * health checks): one sign-in, one `myself`, never retried. Throws CredentialRejectedError.
 */
export class CredentialVerifier {
  constructor(
    private readonly atlassian: AtlassianClient,
    private readonly apiUrl: string,
  ) {}

  async verify(credential: HeldCredential): Promise<void> {
    const spoke = SPOKES[credential.spoke];
    const base = verificationBaseUrl(credential.method, credential.scopedToken ?? false, spoke, this.apiUrl, credential.siteOrigin, credential.cloudId);
    if (credential.method === 'api_token') {
      await this.atlassian.currentUser(base, spoke.verification, { kind: 'basic', email: credential.email ?? '', token: credential.secret });
      return;
    }
    if (credential.method === 'service_account') {
      const token = await this.atlassian.clientCredentialsToken(credential.clientId ?? '', credential.secret);
      await this.atlassian.currentUser(base, spoke.verification, { kind: 'bearer', token });
    }
  }
}
