// S3 answers a refused browser upload with an XML body:
// <Error><Code>EntityTooLarge</Code><Message>...</Message>...</Error>. Pure: no DOMParser needed.

const ENTITIES = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };

export function unescapeXml(text) {
  return text.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|amp|lt|gt|quot|apos);/g, (_, name) => {
    if (name[0] === "#") {
      const code = name[1] === "x" ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10);
      return String.fromCodePoint(code);
    }
    return ENTITIES[name];
  });
}

function element(xml, name) {
  const match = new RegExp(`<${name}>([\\s\\S]*?)</${name}>`).exec(xml);
  return match ? unescapeXml(match[1].trim()) : null;
}

/** {code, message, ...extra} from an S3 XML error body, or null when the body is not one. */
export function parseS3Error(xml) {
  if (typeof xml !== "string" || !/<Error>/.test(xml)) return null;
  const code = element(xml, "Code");
  if (!code) return null;
  const result = { code, message: element(xml, "Message") || "" };
  for (const extra of ["MaxSizeAllowed", "ProposedSize", "Condition"]) {
    const value = element(xml, extra);
    if (value !== null) result[extra] = value;
  }
  return result;
}

const FRIENDLY = {
  EntityTooLarge: "The file is larger than the upload form allows.",
  EntityTooSmall: "The file is smaller than the upload form allows.",
  AccessDenied: "The storage service refused the upload (the form may have expired or not match the file).",
  InvalidPolicyDocument: "The upload form is invalid.",
  ExpiredToken: "The upload form has expired.",
};

/** A problem-like {title, detail} for a refused S3 upload (status from the response). */
export function s3ErrorToProblem(status, body) {
  const err = parseS3Error(body);
  if (!err) {
    return {
      title: "Upload refused by storage",
      status,
      detail: status ? `The storage service answered HTTP ${status}.` : "The storage service could not be reached.",
    };
  }
  const friendly = FRIENDLY[err.code];
  const detailParts = [friendly, err.message].filter(Boolean);
  return { title: `Upload refused by storage: ${err.code}`, status, detail: detailParts.join(" "), code: err.code };
}
