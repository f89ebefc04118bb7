// Drives mcp-remote as Claude Desktop does: over stdio, from the TS SDK's
// stdio client. mcp-remote runs the OAuth flow itself (a fake browser on
// PATH consents), then the driver calls a tool. Usage:
//   node mcp-remote-driver.mjs <mcp-remote proxy.js> <endpoint URL> <http-only|sse-only> <tool>
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';

const [proxy, endpoint, transportMode, tool] = process.argv.slice(2);
const transport = new StdioClientTransport({
  command: process.execPath,
  args: [proxy, endpoint, '--transport', transportMode],
  env: process.env,
  stderr: 'inherit',
});
const client = new Client({ name: 'interop-mcp-remote', version: '0' });
await client.connect(transport);
const { tools } = await client.listTools();
if (!tools.some((t) => t.name === tool)) throw new Error(`tool ${tool} not listed: ${tools.map((t) => t.name)}`);
const result = await client.callTool({ name: tool, arguments: {} });
if (result.isError) throw new Error(`tool error: ${JSON.stringify(result.content)}`);
console.log(result.content[0].text);
await client.close();
