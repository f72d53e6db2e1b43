// Drives aidoc's /mcp with the official MCP TypeScript SDK client.
// Env: AIDOC_MCP_URL, AIDOC_API_KEY, AIDOC_DOC_ID (a long ready document),
// AIDOC_BUDGET (the gateway's token budget), AIDOC_WORD (a word only one
// section of that document holds). Prints one `RESULT {json}` line; exits
// non-zero on the first failed check.
import assert from "node:assert/strict";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";

const url = new URL(process.env.AIDOC_MCP_URL);
const key = process.env.AIDOC_API_KEY;
const docId = process.env.AIDOC_DOC_ID;
const budget = Number(process.env.AIDOC_BUDGET);
const word = process.env.AIDOC_WORD;

// The gateway's own conservative estimate: 1 token per 3 ASCII chars, 1 per other char.
function tokens(s) {
  let ascii = 0;
  let other = 0;
  for (const ch of s) {
    if (ch.charCodeAt(0) < 128) ascii += 1;
    else other += 1;
  }
  return Math.ceil(ascii / 3) + other;
}

const transport = new StreamableHTTPClientTransport(url, {
  requestInit: { headers: { Authorization: `Bearer ${key}` } },
});
const client = new Client({ name: "aidoc-sdk-test", version: "1.0.0" });
await client.connect(transport);
assert.ok(transport.sessionId, "the server opened a session");
assert.equal(client.getServerVersion()?.name, "aidoc");

const { tools } = await client.listTools();
const names = tools.map((t) => t.name).sort();
assert.deepEqual(names, ["get_chunk", "list_categories", "list_documents", "read_document", "search_docs"]);
for (const t of tools) {
  assert.equal(t.inputSchema.type, "object", t.name);
  assert.ok(t.description.length > 40, `${t.name} has a description`);
}

const call = async (name, args) => {
  const r = await client.callTool({ name, arguments: args });
  const size = tokens(JSON.stringify(r));
  assert.ok(size <= budget, `${name} result of ${size} tokens exceeds the budget ${budget}`);
  return r;
};

const search = await call("search_docs", { query: word, mode: "keyword", document_ids: [docId] });
assert.equal(search.isError, false, JSON.stringify(search));
const hit = search.structuredContent.hits[0];
assert.ok(hit, "a hit");
assert.equal(hit.citation.document_id, docId);
assert.ok(hit.citation.url.includes(`/documents/${docId}`), hit.citation.url);
assert.ok(search.content[0].text.includes(hit.citation.title), "the text names the title");

const chunk = await call("get_chunk", { chunk_id: hit.chunk_id, before: 1, after: 1 });
assert.equal(chunk.isError, false, JSON.stringify(chunk));
assert.ok(chunk.structuredContent.chunk.text.toLowerCase().includes(word.toLowerCase()), "the chunk holds the word");

const docs = await call("list_documents", { status: "ready" });
assert.ok(docs.structuredContent.documents.some((d) => d.id === docId), "list_documents lists the document");
const cats = await call("list_categories", {});
assert.equal(cats.isError, false);

// Page through the whole document.
const seen = [];
let from = 0;
let calls = 0;
let total = 0;
for (;;) {
  const r = await call("read_document", { document_id: docId, from_chunk: from });
  assert.equal(r.isError, false, JSON.stringify(r));
  calls += 1;
  total = r.structuredContent.document.chunks;
  for (const c of r.structuredContent.chunks) seen.push(c.chunk_index);
  const next = r.structuredContent.next_from_chunk;
  if (next === null) break;
  assert.ok(r.content[0].text.includes(`from_chunk=${next}`), "the text says how to read on");
  assert.ok(next > from, "reading moves forward");
  from = next;
  assert.ok(calls < 500, "paging ends");
}
assert.deepEqual(seen, [...Array(total).keys()], "every chunk exactly once, in order");
assert.ok(calls > 1, "the document took more than one result");

const bad = await client.callTool({ name: "search_docs", arguments: { mode: "keyword" } });
assert.equal(bad.isError, true);
assert.match(bad.content[0].text, /query/);

const { resources } = await client.listResources();
assert.ok(resources.some((r) => r.uri === `aidoc://documents/${docId}`), "the document is a resource");
const res = await client.readResource({ uri: `aidoc://documents/${docId}` });
assert.ok(res.contents[0].text.includes(`aidoc://documents/${docId}?from_chunk=`), "the resource names its next part");
const { resourceTemplates } = await client.listResourceTemplates();
assert.equal(resourceTemplates[0].uriTemplate, "aidoc://documents/{document_id}");

await transport.terminateSession();
await client.close();
console.log(`RESULT ${JSON.stringify({ ok: true, tools: names, read_calls: calls, chunks: seen.length, protocol: transport.protocolVersion ?? null })}`);
