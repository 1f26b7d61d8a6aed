import { TandemError } from '@tandem/errors';
import { createRemoteJWKSet, errors, type JWTPayload, jwtVerify, SignJWT } from 'jose';

/** Who a verified token speaks for. */
export interface Identity {
  userId: string;
  name: string;
}

export interface TokenVerifierConfig {
  /** HS256 shared secret (at least 32 bytes). */
  secret?: string;
  /** A JWKS endpoint for RS256/ES256 tokens from an identity provider. */
  jwksUrl?: string;
  issuer?: string;
  audience?: string;
}

export type TokenVerifier = (token: string) => Promise<Identity>;

/**
 * Verifies JWT bearer tokens with jose: an HS256 secret or a JWKS URL, by configuration.
 * The subject is the user id; `name` (or the subject) is the display name. Throws
 * UNAUTHENTICATED or TOKEN_EXPIRED.
 */
export function createTokenVerifier(config: TokenVerifierConfig): TokenVerifier {
  const options = {
    ...(config.issuer ? { issuer: config.issuer } : {}),
    ...(config.audience ? { audience: config.audience } : {}),
  };
  let verify: (token: string) => Promise<JWTPayload>;
  if (config.jwksUrl) {
    const jwks = createRemoteJWKSet(new URL(config.jwksUrl));
    verify = async (token) => (await jwtVerify(token, jwks, options)).payload;
  } else if (config.secret) {
    const key = new TextEncoder().encode(config.secret);
    verify = async (token) => (await jwtVerify(token, key, { ...options, algorithms: ['HS256'] })).payload;
  } else {
    throw new Error('Token verification needs a secret or a JWKS URL');
  }
  return async (token) => {
    let payload: JWTPayload;
    try {
      payload = await verify(token);
    } catch (err) {
      if (err instanceof errors.JWTExpired) throw new TandemError('TOKEN_EXPIRED', 'The token has expired');
      throw new TandemError('UNAUTHENTICATED', 'The token is not valid');
    }
    if (typeof payload.sub !== 'string' || payload.sub.length === 0) {
      throw new TandemError('UNAUTHENTICATED', 'The token has no subject');
    }
    const name = typeof payload.name === 'string' && payload.name.length > 0 ? payload.name : payload.sub;
    return { userId: payload.sub, name };
  };
}

/** Signs a short-lived HS256 token; used by the embedded server's dev sign-in and by tests. */
export async function signToken(
  secret: string,
  identity: Identity,
  options: { ttlSeconds?: number; issuer?: string; audience?: string } = {},
): Promise<string> {
  let jwt = new SignJWT({ name: identity.name })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(identity.userId)
    .setIssuedAt()
    .setExpirationTime(`${options.ttlSeconds ?? 3600}s`);
  if (options.issuer) jwt = jwt.setIssuer(options.issuer);
  if (options.audience) jwt = jwt.setAudience(options.audience);
  return jwt.sign(new TextEncoder().encode(secret));
}
