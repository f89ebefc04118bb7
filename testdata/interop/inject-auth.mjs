// Preloaded with node --import: adds "Authorization: Bearer
// $MCP_BEARER_TOKEN" to every fetch, since the conformance suite has no way
// to send a token. (Scenarios that bypass fetch, such as
// dns-rebinding-protection, are run through a token-adding proxy instead.)
const token = process.env.MCP_BEARER_TOKEN;
const originalFetch = globalThis.fetch;
globalThis.fetch = (input, init = {}) => {
  const headers = new Headers(init.headers ?? (input instanceof Request ? input.headers : undefined));
  headers.set('Authorization', `Bearer ${token}`);
  return originalFetch(input, { ...init, headers });
};
