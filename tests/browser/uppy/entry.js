// The two npm packages a site would use to upload with presigned POST forms; bundled at test
// time (tests/browser/test_uppy_upload.py) and exposed to the test page.
import AwsS3 from "@uppy/aws-s3";
import Uppy from "@uppy/core";

window.Uppy = Uppy;
window.AwsS3 = AwsS3;
