// Forged access tokens, made by hand with node's crypto: every one of them must be refused (401).
import crypto from 'node:crypto';

const b64url = (data) => Buffer.from(typeof data === 'string' ? data : JSON.stringify(data)).toString('base64url');

export function decode(token) {
  const [h, p] = token.split('.');
  return { header: JSON.parse(Buffer.from(h, 'base64url')), payload: JSON.parse(Buffer.from(p, 'base64url')) };
}

function sign(alg, header, payload, key) {
  const input = `${b64url({ ...header, alg })}.${b64url(payload)}`;
  let signature = '';
  if (alg === 'HS256') signature = crypto.createHmac('sha256', key).update(input).digest('base64url');
  if (alg === 'RS256') signature = crypto.sign('sha256', Buffer.from(input), key).toString('base64url');
  return `${input}.${signature}`;
}

/**
 * Builds the forgeries once, from the real token's header and claims.
 * realToken: a genuine access token; jwks: the JWK Set auth-service publishes; stackKey: the
 * stack's own signing key (PEM) when readable, for tokens that are signed right but must still
 * be refused (expired, wrong issuer or audience, not an access token).
 */
export function forgeries(realToken, jwks, stackKey) {
  const { header, payload } = decode(realToken);
  const now = Math.floor(Date.now() / 1000);
  const ours = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  const publicPem = jwks?.keys?.[0]
    ? crypto.createPublicKey({ key: jwks.keys[0], format: 'jwk' }).export({ type: 'spki', format: 'pem' })
    : 'no-key';
  const signingKey = stackKey ? crypto.createPrivateKey(stackKey) : ours;
  const [h, p, s] = realToken.split('.');
  const flipped = s.slice(0, -4) + (s.slice(-4) === 'AAAA' ? 'BBBB' : 'AAAA');
  const forged = {
    'alg none': sign('none', header, payload),
    'alg none, no dot': `${b64url({ ...header, alg: 'none' })}.${b64url(payload)}`,
    'alg NONE': sign('none', { ...header, alg: 'NONE' }, payload).replace(b64url({ ...header, alg: 'none' }), b64url({ ...header, alg: 'NONE' })),
    'HS256 keyed with the public key': sign('HS256', header, payload, publicPem),
    'HS256 keyed with "secret"': sign('HS256', header, payload, 'secret'),
    'RS256 by another key, real kid': sign('RS256', header, payload, ours),
    'RS256 by another key, unknown kid': sign('RS256', { ...header, kid: 'fuzz-kid' }, payload, ours),
    'RS256 with jku to loopback': sign('RS256', { ...header, jku: 'http://127.0.0.1:9/jwks', kid: 'x' }, payload, ours),
    'signature bytes changed': `${h}.${p}.${flipped}`,
    'signature removed': `${h}.${p}.`,
    'payload changed, signature kept': `${h}.${b64url({ ...payload, sub: crypto.randomUUID(), groups: ['admin', 'user'] })}.${s}`,
    'payload longer exp, signature kept': `${h}.${b64url({ ...payload, exp: now + 86400 * 365 })}.${s}`,
    'four parts': `${h}.${p}.${s}.${s}`,
    'JWE-shaped': `${h}.${p}.${s}.${p}.${s}`,
    'header not JSON': `${b64url('{"alg":')}.${p}.${s}`,
    'base64 junk': `${b64url(crypto.randomBytes(30))}.${b64url(crypto.randomBytes(60))}.${b64url(crypto.randomBytes(40))}`,
    'expired an hour ago': sign('RS256', header, { ...payload, iat: now - 7200, exp: now - 3600 }, signingKey),
    'expired a minute ago (past the 30 s skew)': sign('RS256', header, { ...payload, exp: now - 60 }, signingKey),
    'wrong issuer': sign('RS256', header, { ...payload, iss: 'evil' }, signingKey),
    'wrong audience': sign('RS256', header, { ...payload, aud: 'other' }, signingKey),
    'no token_use': sign('RS256', header, (({ token_use, ...rest }) => rest)(payload), signingKey),
    'token_use refresh': sign('RS256', header, { ...payload, token_use: 'refresh' }, signingKey),
    'exp as a string': sign('RS256', header, { ...payload, exp: String(payload.exp) }, signingKey),
    'exp 2^63': sign('RS256', header, { ...payload, exp: 9223372036854775807 }, ours),
    'huge claim': sign('RS256', header, { ...payload, pad: 'x'.repeat(5000) }, ours),
  };
  return { forged, signedByStack: Boolean(stackKey) };
}
