/** Builds the configured kind of endpoint authentication (endpoint-auth.ts). */
import type { EndpointAuthConfig } from '../../config/types.ts';
import { BasicCredentials } from './basic-credentials.ts';
import { BearerTokenFile } from './bearer-token-file.ts';
import type { EndpointAuth, EndpointAuthOptions } from './endpoint-auth.ts';
import { OAuth2ClientCredentials } from './oauth2-client-credentials.ts';

export function createEndpointAuth(config: EndpointAuthConfig, options: EndpointAuthOptions): EndpointAuth {
  switch (config.kind) {
    case 'bearer':
      return new BearerTokenFile(config.tokenFile, config.token.reveal());
    case 'basic':
      return new BasicCredentials(config.username, config.password);
    case 'oauth2':
      return new OAuth2ClientCredentials(config, options.timeout);
  }
}
