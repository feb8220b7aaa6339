"""The edge room: what stands in front of the functions in AWS. The HTTP API (`gateway`: routes from
the template, CORS, payload v2.0 events from `apigw`), its JWT authorizer (`auth`, the local
issuer), stage throttling (`throttle`), access logs (`accesslog`), and the renditions CDN
(`cdn`: signed URLs, ETag, 304)."""
