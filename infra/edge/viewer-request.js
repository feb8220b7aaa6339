// The renditions CDN's viewer-request function (CloudFront Functions, cloudfront-js-2.0), for
// /renditions/{owner}/{id}/edge/{width}[-{quality}]?v={version} (SPEC 3.10, docs/formats.md).
//
// It refuses, before any origin is asked, every width outside WIDTHS and every quality but
// low|default|high (400), reduces Accept to one format class (avif, webp or jpeg: AVIF, then
// WebP, then JPEG) and rewrites the request to the object key, which is also the cache key:
// /renditions/{owner}/{id}/edge/{version}/{width}_{quality}_{class}. The class travels to the
// origin as x-image-format (in the cache policy); the render function picks the real encoding
// (animations stay animated, alpha stays).
//
// template.yaml embeds this file as RenditionsEdgeFunction's code, with the EdgeWidths parameter
// in WIDTHS (tests/template checks they are the same). Its Python twin is
// imageapi.domain.edge_request, used by the local CDN stand-in; tests/unit/test_edge_request.py
// runs both over one table of requests under node and compares the answers.
var WIDTHS = [160, 240, 320, 480, 640, 960, 1280, 1920, 2560, 3840];
var PATH = /^\/renditions\/([A-Za-z0-9_-]{1,512})\/([0-9A-HJKMNP-TV-Z]{26})\/edge\/([1-9][0-9]{0,3})(?:-(low|default|high))?$/;
var VERSION = /^[0-9a-z]{1,32}$/;
// RFC 9110 qvalue; a weight outside this grammar makes its entry not count.
var QVALUE = /^(?:0(?:\.[0-9]{0,3})?|1(?:\.0{0,3})?)$/;
var OWS = /^[ \t]+|[ \t]+$/g;

function refuse(slug, detail) {
  var problem = { type: 'urn:image-api:problem:' + slug, title: 'Malformed request', status: 400, detail: detail };
  return {
    statusCode: 400,
    statusDescription: 'Bad Request',
    headers: {
      'content-type': { value: 'application/problem+json' },
      'cache-control': { value: 'no-store' }
    },
    body: { encoding: 'text', data: JSON.stringify(problem) }
  };
}

function negotiate(accept) {
  var allowed = {};
  var entries = accept.toLowerCase().split(',');
  for (var i = 0; i < entries.length; i++) {
    var parts = entries[i].split(';');
    var q = '1';
    for (var j = 1; j < parts.length; j++) {
      var param = parts[j].replace(OWS, '');
      if (param.indexOf('q=') === 0) {
        q = param.slice(2);
        break;
      }
    }
    if (QVALUE.test(q) && parseFloat(q) > 0) {
      allowed[parts[0].replace(OWS, '')] = true;
    }
  }
  if (allowed['image/avif']) return 'avif';
  if (allowed['image/webp']) return 'webp';
  return 'jpeg';
}

function headerText(header) {
  if (!header) return '';
  if (header.multiValue) return header.multiValue.map(function (h) { return h.value; }).join(',');
  return header.value;
}

function handler(event) {
  var request = event.request;
  var match = PATH.exec(request.uri);
  if (!match) {
    return refuse('edge-path', 'not an edge rendition: /renditions/{owner}/{id}/edge/{width}, optionally -low or -high');
  }
  var width = parseInt(match[3], 10);
  if (WIDTHS.indexOf(width) < 0) {
    return refuse('edge-width', 'width ' + width + ' is not offered; the widths are ' + WIDTHS.join(', '));
  }
  var version = request.querystring.v;
  if (!version || (version.multiValue && version.multiValue.length > 1) || !VERSION.test(version.value)) {
    return refuse('edge-version', 'v (the image version its srcset names) is missing or malformed');
  }
  var format = negotiate(headerText(request.headers.accept));
  var quality = match[4] || 'default';
  request.headers['x-image-format'] = { value: format };
  request.uri = '/renditions/' + match[1] + '/' + match[2] + '/edge/' + version.value + '/' + width + '_' + quality + '_' + format;
  return request;
}
