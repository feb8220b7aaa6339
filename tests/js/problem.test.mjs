import test from "node:test";
import assert from "node:assert/strict";
import { fieldLabel, formatProblem, toProblem } from "../../web/js/problem.js";

test("a full problem keeps title, detail and field errors", () => {
  const p = toProblem(422, {
    type: "https://example/validation", title: "Validation failed", status: 422, detail: "The request body is invalid.",
    errors: [{ field: "body.resize.width", message: "must be at most 4096" }],
  });
  assert.equal(p.title, "Validation failed");
  assert.equal(p.status, 422);
  assert.deepEqual(p.errors, [{ field: "body.resize.width", message: "must be at most 4096" }]);
  assert.equal(formatProblem(p), "Validation failed: The request body is invalid. (resize › width: must be at most 4096)");
});

test("a body that is not a problem falls back to the status", () => {
  assert.equal(toProblem(413, null).title, "Too large");
  assert.equal(toProblem(418, "").title, "HTTP 418");
  assert.equal(toProblem(0, undefined).title, "Network error");
  assert.equal(toProblem(500, "<html>boom</html>").detail, "");
  assert.equal(toProblem(502, "upstream failed").detail, "upstream failed");
});

test("formatProblem does not repeat a detail equal to the title", () => {
  assert.equal(formatProblem({ title: "Not found", detail: "Not found", errors: [] }), "Not found");
});

test("formatProblem accepts a raw problem body", () => {
  assert.equal(formatProblem({ title: "Too large", status: 413, detail: "The file is over 20 MiB." }), "Too large: The file is over 20 MiB.");
});

test("field labels drop the location prefix", () => {
  assert.equal(fieldLabel("body.title"), "title");
  assert.equal(fieldLabel("query.limit"), "limit");
  assert.equal(fieldLabel(""), "request");
});
