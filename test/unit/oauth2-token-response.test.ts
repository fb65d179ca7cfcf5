/**
 * Reading token endpoint answers (RFC 6749 §5.1, §5.2): when a token is refreshed, and what
 * an outage detail says, which is logged and so must never carry a token or a secret.
 */
import { describe, expect, it } from 'vitest';
import { parseTokenResponse } from '../../src/delivery/auth/oauth2-client-credentials.ts';

const detailOf = (status: number, body: string): string => {
  try {
    parseTokenResponse(status, body, 0);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('expected a failure');
};

describe('parseTokenResponse', () => {
  it('refreshes a tenth of the lifetime early, at most a minute early', () => {
    expect(parseTokenResponse(200, '{"access_token":"t1","token_type":"Bearer","expires_in":3600}', 1000)).toEqual({
      header: 'Bearer t1',
      refreshAt: 1000 + 3_600_000 - 60_000,
    });
    expect(parseTokenResponse(200, '{"access_token":"t1","token_type":"bearer","expires_in":"30"}', 0).refreshAt).toBe(27_000);
  });

  it('keeps a token without expires_in until a 401', () => {
    expect(parseTokenResponse(200, '{"access_token":"t1"}', 0).refreshAt).toBe(Infinity);
  });

  it('explains refusals with the status and the OAuth error code only', () => {
    expect(detailOf(401, '{"error":"invalid_client","error_description":"secret s3cr3t is wrong"}')).toBe(
      'token endpoint answered 401 (invalid_client): check clientId, clientSecret, scope and audience',
    );
    expect(detailOf(503, '<html>down</html>')).toBe('token endpoint answered 503');
    expect(detailOf(500, '{"error":"a b c <script>"}')).toBe('token endpoint answered 500');
  });

  it('refuses answers that are not a usable bearer token, without quoting them', () => {
    expect(detailOf(200, 'not json')).toBe('token endpoint answered 200 without a usable access_token');
    expect(detailOf(200, '{"access_token":"has space"}')).toBe('token endpoint answered 200 without a usable access_token');
    expect(detailOf(200, '{"access_token":"t1","token_type":"mac"}')).toBe('token endpoint answered a token_type other than Bearer');
  });
});
