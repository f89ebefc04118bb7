// The TypeScript SDK's own OAuth client against a generated server:
// discovery from the 401, dynamic client registration, PKCE and the
// resource parameter, then a tool call. Usage:
//   node ts-oauth-client.mjs <endpoint URL> <http|sse> <tool>
// Prints the tool's text result; exits non-zero on any failure.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';

const [endpoint, kind, tool] = process.argv.slice(2);
const redirectUrl = 'http://127.0.0.1:7/callback'; // never listened on: the test plays the browser

let clientInfo, tokens, verifier, code;
const provider = {
  get redirectUrl() { return redirectUrl; },
  get clientMetadata() {
    return { client_name: 'interop-ts-sdk', redirect_uris: [redirectUrl], grant_types: ['authorization_code'], response_types: ['code'], token_endpoint_auth_method: 'none' };
  },
  state: () => 'interop-state-0123456789',
  clientInformation: () => clientInfo,
  saveClientInformation: (info) => { clientInfo = info; },
  tokens: () => tokens,
  saveTokens: (t) => { tokens = t; },
  saveCodeVerifier: (v) => { verifier = v; },
  codeVerifier: () => verifier,
  // The user signs in and consents at once: load the URL and take the code
  // from the redirect, as a browser would deliver it to the callback.
  redirectToAuthorization: async (url) => {
    const res = await fetch(url, { redirect: 'manual' });
    const location = new URL(res.headers.get('location'));
    code = location.searchParams.get('code');
    if (!code) throw new Error(`authorize did not redirect with a code: ${res.status} ${location}`);
  },
};

const makeTransport = () => kind === 'sse'
  ? new SSEClientTransport(new URL(endpoint), { authProvider: provider })
  : new StreamableHTTPClientTransport(new URL(endpoint), { authProvider: provider });

let transport = makeTransport();
let client = new Client({ name: 'interop-ts-sdk', version: '0' });
try {
  await client.connect(transport);
} catch (err) {
  if (!(err instanceof UnauthorizedError)) throw err;
  await transport.finishAuth(code);
  transport = makeTransport();
  client = new Client({ name: 'interop-ts-sdk', version: '0' });
  await client.connect(transport);
}
const result = await client.callTool({ name: tool, arguments: {} });
if (result.isError) throw new Error(`tool error: ${JSON.stringify(result.content)}`);
console.log(result.content[0].text);
await client.close();
