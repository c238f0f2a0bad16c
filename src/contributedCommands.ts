// Which contributed commands register when. Listed here so that activation need not read the manifest;
// test/unit/contributedCommands.test.ts checks both lists against package.json so they cannot drift from it.
// Plain arrays with no imports: the activation shell (dist/extension.js) inlines them.

/** Reachable from the palette, the view's title bar or its welcome buttons: the activation shell registers these. */
export const activationCommands = [
  'eksConnector.refresh',
  'eksConnector.chooseRegions',
  'eksConnector.chooseProfile',
  'eksConnector.showLog',
  'eksConnector.showConnectionError',
  'eksConnector.ssoLogin',
  'eksConnector.openAwsConfig',
  'eksConnector.registerCurrentContext',
];

/** Answered by the activation shell itself: they need none of the features, so running them loads nothing. */
export const shellCommands = [
  'eksConnector.getStarted',
];

/** The walkthrough (contributes.walkthroughs in package.json) that eksConnector.getStarted opens. */
export const WALKTHROUGH_ID = 'getStarted';

/**
 * Reachable only from the view's items (hidden from the palette with `"when": "false"`). The features bundle
 * registers these when it loads, which is before the view shows its first item.
 */
export const itemCommands = [
  'eksConnector.refreshRegion',
  'eksConnector.copyArn',
  'eksConnector.openClusterDescription',
  'eksConnector.loadMore',
  'eksConnector.deregister',
  'eksConnector.grantConsoleAccess',
  'eksConnector.revokeConsoleAccess',
  'eksConnector.repairConnector',
];
