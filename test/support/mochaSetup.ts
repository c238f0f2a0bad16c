// Loaded by mocha before every suite (see .mocharc.json).
// Tests must never reach the EC2 instance-metadata address: that is not loopback. The AWS SDK probes it as the
// last link of the credential chain unless told not to.
process.env.AWS_EC2_METADATA_DISABLED = 'true';
// The SDK's notice about Node 22 is true but repeats in every suite; it is recorded in the project notes instead.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
