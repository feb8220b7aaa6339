// Runs infra/edge/viewer-request.js (the CDN's viewer-request function) under node over a table of
// requests read as JSON from stdin, and prints each answer as JSON: what tests/unit/test_edge_request.py
// compares with the Python twin. argv[2]: the widths to put in WIDTHS (as template.yaml does), or none.
import { readFileSync } from "node:fs";
import vm from "node:vm";

const source = readFileSync(new URL("../../infra/edge/viewer-request.js", import.meta.url), "utf8");
const widths = process.argv[2];
const code = widths ? source.replace(/^var WIDTHS = \[.*\];$/m, `var WIDTHS = [${widths}];`) : source;
const sandbox = {};
vm.runInNewContext(code, sandbox);

function header(values) {
  if (values.length === 1) return { value: values[0] };
  return { value: values[0], multiValue: values.map((value) => ({ value })) };
}

const cases = JSON.parse(readFileSync(0, "utf8"));
const answers = cases.map(({ uri, query, accept }) => {
  const querystring = {};
  for (const [name, values] of Object.entries(query)) querystring[name] = header(values);
  const headers = accept.length ? { accept: header(accept) } : {};
  const event = { version: "1.0", context: { eventType: "viewer-request" }, viewer: { ip: "198.51.100.7" },
    request: { method: "GET", uri, querystring, headers, cookies: {} } };
  const result = sandbox.handler(event);
  if (result.statusCode !== undefined) {
    const plain = {};
    for (const [name, value] of Object.entries(result.headers)) plain[name] = value.value;
    return { status: result.statusCode, headers: plain, body: result.body.data };
  }
  return { uri: result.uri, format: result.headers["x-image-format"].value };
});
process.stdout.write(JSON.stringify(answers));
