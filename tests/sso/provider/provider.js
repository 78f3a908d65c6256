// A real OpenID Connect provider for Tandem's single sign-on tests: panva's oidc-provider
// (certified by the OpenID Foundation), configured from the environment by tests/sso/provider.py.
//
//   PORT                  where to listen (127.0.0.1); the issuer is http://127.0.0.1:PORT
//   CLIENT_ID, CLIENT_SECRET, REDIRECT_URI   the one client: Tandem under test
//   ACCOUNTS              JSON list of {"sub", "email", "email_verified", ...other claims}
//   NOW_MS                the test's clock (epoch milliseconds) when it started
//   EMAIL_IN_ID_TOKEN     "1": the ID token carries the email claims (as Entra ID's does);
//                         otherwise they come from the userinfo endpoint only
//
// Sign-in is oidc-provider's development login form (any password; the login is the
// account's sub) and consent is granted without asking, as for a council's own client.
// The provider keeps the tests' clock, not the machine's: Tandem's tests run at a fixed
// instant (time-machine), and an ID token from the real "now" would look expired or from
// the future. `PUT /__clock?now=<ms>` moves it again between tests.

import http from 'node:http';
import { generateKeyPairSync } from 'node:crypto';

const RealDate = Date;
let offset = process.env.NOW_MS ? Number(process.env.NOW_MS) - RealDate.now() : 0;

class ShiftedDate extends RealDate {
  constructor(...args) {
    if (args.length === 0) super(RealDate.now() + offset);
    else super(...args);
  }

  static now() {
    return RealDate.now() + offset;
  }
}
globalThis.Date = ShiftedDate;

// Imported after the clock is shifted, so that every module sees the shifted Date.
const { default: Provider } = await import('oidc-provider');

const port = Number(process.env.PORT || 0);
const issuer = `http://127.0.0.1:${port}`;
const accounts = new Map(
  JSON.parse(process.env.ACCOUNTS || '[]').map((claims) => [claims.sub, claims]),
);

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: 'test-key', use: 'sig', alg: 'RS256' };

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: process.env.CLIENT_ID,
      client_secret: process.env.CLIENT_SECRET,
      redirect_uris: [process.env.REDIRECT_URI],
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    },
  ],
  jwks: { keys: [signingKey] },
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name'],
  },
  scopes: ['openid', 'email', 'profile'],
  pkce: { required: () => true },
  conformIdTokenClaims: process.env.EMAIL_IN_ID_TOKEN !== '1',
  cookies: { keys: ['tandem-test-provider-cookie-key'] },
  features: { devInteractions: { enabled: true } },
  async findAccount(ctx, sub) {
    const claims = accounts.get(sub);
    if (!claims) return undefined;
    return { accountId: sub, async claims() { return { ...claims }; } };
  },
  // Consent is the organisation's, not the person's: every scope asked for is granted.
  async loadExistingGrant(ctx) {
    const grantId = ctx.oidc.result?.consent?.grantId
      || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) return ctx.oidc.provider.Grant.find(grantId);
    const grant = new ctx.oidc.provider.Grant({
      clientId: ctx.oidc.client.clientId,
      accountId: ctx.oidc.session.accountId,
    });
    grant.addOIDCScope('openid email profile');
    await grant.save();
    return grant;
  },
});

const callback = provider.callback();
const server = http.createServer((req, res) => {
  if (req.method === 'PUT' && req.url.startsWith('/__clock')) {
    const now = Number(new URL(req.url, issuer).searchParams.get('now'));
    offset = now - RealDate.now();
    res.writeHead(204).end();
    return;
  }
  callback(req, res);
});
server.listen(port, '127.0.0.1', () => {
  console.log(`oidc-provider listening on ${issuer}`);
});
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => server.close(() => process.exit(0)));
}
