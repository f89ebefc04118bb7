// The TypeScript SDK v2 client (@modelcontextprotocol/client) against a
// generated server, with a bearer token. With "auto" it negotiates the
// newest protocol the server speaks (2026-07-28 from a stateless server);
// with "legacy", the SDK's default, it does the initialize handshake.
// Usage:
//   node ts2-client.mjs <endpoint URL> <token> <auto|legacy> <tool>
// Prints "protocol <version>" and the tool's text; exits non-zero on any failure.
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';

const [endpoint, token, mode, tool] = process.argv.slice(2);
const transport = new StreamableHTTPClientTransport(new URL(endpoint), {
  requestInit: { headers: { Authorization: `Bearer ${token}` } },
});
const client = new Client({ name: 'interop-ts-sdk-v2', version: '0' }, { versionNegotiation: { mode } });
try {
  await client.connect(transport);
  console.log(`protocol ${client.getNegotiatedProtocolVersion()}`);
  const { tools } = await client.listTools();
  if (!tools.some((t) => t.name === tool)) throw new Error(`tools/list has no ${tool}: ${tools.map((t) => t.name)}`);
  const res = await client.callTool({ name: tool, arguments: {} });
  if (res.isError) throw new Error(`tool error: ${JSON.stringify(res.content)}`);
  console.log(res.content[0].text);
  await client.close();
} catch (err) {
  console.error(err?.stack ?? String(err));
  process.exit(1);
}
