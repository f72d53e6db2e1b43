// Preloaded into the MCP Inspector CLI (NODE_OPTIONS=--import): its 0.15
// CLI has no option for request headers, so every fetch it makes gets the
// API key from AIDOC_API_KEY as an X-API-Key header.
const key = process.env.AIDOC_API_KEY;
const original = globalThis.fetch;
if (key && original) {
  globalThis.fetch = (input, init = {}) => {
    const headers = new Headers(init.headers ?? (input instanceof Request ? input.headers : undefined));
    headers.set("X-API-Key", key);
    return original(input, { ...init, headers });
  };
}
