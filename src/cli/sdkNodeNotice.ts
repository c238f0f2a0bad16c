// Imported first by the CLI, so it runs before any AWS SDK module: the SDK's multi-line notice that its later versions
// will need a newer Node would otherwise open the stderr of every pipeline step. The Node versions the CLI supports
// are stated in the README instead. A user who set the variable keeps their value.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
