// Strict RFC 9728 and RFC 8414 processing of a generated server's metadata
// with oauth4webapi. Usage: node validate-metadata.mjs <base URL> <path>...
// For each path (/mcp, /sse) the protected-resource metadata must name
// exactly that resource; its authorization server's metadata must then
// pass RFC 8414 validation (issuer equal to the URL it was fetched for).
import * as oauth from 'oauth4webapi';

const [base, ...paths] = process.argv.slice(2);
for (const path of paths) {
  const resource = new URL(base + path);
  const prm = await oauth.processResourceDiscoveryResponse(resource,
    await oauth.resourceDiscoveryRequest(resource, { [oauth.allowInsecureRequests]: true }));
  const issuer = new URL(prm.authorization_servers[0]);
  const as = await oauth.processDiscoveryResponse(issuer,
    await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', [oauth.allowInsecureRequests]: true }));
  console.log(`${path}: resource ${prm.resource}, issuer ${as.issuer}, pkce ${as.code_challenge_methods_supported}`);
}
