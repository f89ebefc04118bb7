// Drives mcp-remote as Claude Desktop does: over stdio, from the TS SDK's
// stdio client. mcp-remote runs the OAuth flow itself; where it prints the
// authorization URL for the user, the driver plays the signed-in user's
// browser: it loads the URL and follows the redirects to mcp-remote's
// loopback callback. Then it calls a tool. Usage:
//   node mcp-remote-driver.mjs <mcp-remote proxy.js> <endpoint URL> <http-only|sse-only> <tool>
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';

const [proxy, endpoint, transportMode, tool] = process.argv.slice(2);
const transport = new StdioClientTransport({
  command: process.execPath,
  args: [proxy, endpoint, '--transport', transportMode],
  env: process.env,
  stderr: 'pipe',
});
let seen = '';
let authorized = false;
transport.stderr.on('data', async (chunk) => {
  process.stderr.write(chunk);
  seen += chunk.toString();
  const match = !authorized && seen.match(/https?:\/\/\S+\/oauth\/authorize\?\S+/);
  if (match) {
    authorized = true;
    const res = await fetch(match[0], { redirect: 'follow' });
    await res.text();
  }
});
const client = new Client({ name: 'interop-mcp-remote', version: '0' });
await client.connect(transport);
const { tools } = await client.listTools();
if (!tools.some((t) => t.name === tool)) throw new Error(`tool ${tool} not listed: ${tools.map((t) => t.name)}`);
const result = await client.callTool({ name: tool, arguments: {} });
if (result.isError) throw new Error(`tool error: ${JSON.stringify(result.content)}`);
if (!authorized) throw new Error('mcp-remote never asked for authorization');
console.log(result.content[0].text);
await client.close();
