import test from "node:test";
import assert from "node:assert/strict";
import { parseS3Error, s3ErrorToProblem, unescapeXml } from "../../web/js/s3error.js";

const TOO_LARGE = `<?xml version="1.0" encoding="UTF-8"?>
<Error><Code>EntityTooLarge</Code><Message>Your proposed upload exceeds the maximum allowed size</Message><ProposedSize>2048</ProposedSize><MaxSizeAllowed>1024</MaxSizeAllowed><RequestId>ABC</RequestId><HostId>xyz==</HostId></Error>`;

test("parses Code, Message and the size details", () => {
  assert.deepEqual(parseS3Error(TOO_LARGE), {
    code: "EntityTooLarge",
    message: "Your proposed upload exceeds the maximum allowed size",
    ProposedSize: "2048",
    MaxSizeAllowed: "1024",
  });
});

test("unescapes XML entities", () => {
  assert.equal(unescapeXml("a &amp; b &lt;c&gt; &quot;d&quot; &#39;e&#x27;"), "a & b <c> \"d\" 'e'");
  const err = parseS3Error("<Error><Code>AccessDenied</Code><Message>Invalid according to Policy: Policy Condition failed: [&quot;eq&quot;, &quot;$key&quot;]</Message></Error>");
  assert.equal(err.message, 'Invalid according to Policy: Policy Condition failed: ["eq", "$key"]');
});

test("non-XML bodies are not S3 errors", () => {
  assert.equal(parseS3Error(""), null);
  assert.equal(parseS3Error(null), null);
  assert.equal(parseS3Error("<html>oops</html>"), null);
  assert.equal(parseS3Error("<Error><Message>no code</Message></Error>"), null);
});

test("a refused upload becomes a readable problem", () => {
  const p = s3ErrorToProblem(400, TOO_LARGE);
  assert.equal(p.status, 400);
  assert.equal(p.code, "EntityTooLarge");
  assert.match(p.title, /EntityTooLarge/);
  assert.match(p.detail, /larger than the upload form allows/);
  assert.match(p.detail, /exceeds the maximum allowed size/);
});

test("an unreadable refusal still says what happened", () => {
  assert.match(s3ErrorToProblem(403, "").detail, /HTTP 403/);
  assert.match(s3ErrorToProblem(0, "").detail, /could not be reached/);
});
