// Test-only: the MCP TypeScript SDK's client against Synap's /mcp.
// Usage: node client.mjs <endpoint> <access key>
// Prints one JSON object: the tools it sees and the results of a few calls.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";

const [endpoint, key] = process.argv.slice(2);
const transport = new StreamableHTTPClientTransport(new URL(endpoint), {
  requestInit: { headers: { Authorization: `Bearer ${key}` } },
});
const client = new Client({ name: "synap-ts-test", version: "1.0.0" });
await client.connect(transport);

const out = { sessionId: transport.sessionId ? "set" : "missing" };
out.tools = (await client.listTools()).tools.map((t) => t.name).sort();
const call = async (name, args) => {
  const r = await client.callTool({ name, arguments: args });
  return r.isError ? { error: r.content.map((c) => c.text).join(" ") } : r.structuredContent;
};
out.set = await call("set", { key: "ts", value: "from typescript" });
out.get = await call("get", { key: "ts" });
out.hset = await call("hset", { key: "h", fields: { a: "1" } });
out.hgetall = await call("hgetall", { key: "h" });
out.wrongtype = await call("lpush", { key: "ts", values: ["x"] });
out.noperm = await call("command", { args: ["FLUSHDB"] });
await transport.terminateSession();
await client.close();
console.log(JSON.stringify(out));
