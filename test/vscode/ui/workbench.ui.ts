// UI smoke test (plain Node + mocha, driving code-server in Chromium): the workbench loads with our extension
// as a development extension and shows its "EKS Connector" activity-bar entry. Saves a screenshot.
// Run: npx tsx scripts/vscode/run-vscode-tests.ts --ui-only   (or: npx mocha test/vscode/ui/workbench.ui.ts)
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { startWorkbenchSession, type WorkbenchSession } from '../harness/browser';
import { REPO_ROOT } from '../harness/codeServer';

// The bench's own checks may point this at a stand-in extension; normally it is the repo.
const extensionPath = process.env.EKS_VSCODE_UI_EXTENSION_PATH ?? REPO_ROOT;

describe('workbench (UI)', function () {
  this.timeout(120_000); // starting code-server + Chromium + the workbench takes ~10 s on 2 cores

  let session: WorkbenchSession | undefined;

  before(async () => {
    session = await startWorkbenchSession({ extensionDevelopmentPath: extensionPath });
  });

  after(async () => {
    await session?.close();
  });

  it('shows the "EKS Connector" entry in the activity bar', async () => {
    assert.ok(session);
    const item = session.workbench.activityBarItem('EKS Connector');
    await item.waitFor({ state: 'visible', timeout: 30_000 });
    const shot = await session.workbench.screenshot('workbench-activity-bar');
    assert.ok(fs.statSync(shot).size > 0, `empty screenshot ${shot}`);
  });

  it('opens the EKS Connector side bar from that entry', async () => {
    assert.ok(session);
    await session.workbench.showViewContainer('EKS Connector', 30_000);
    // Let the view render its first state (activation, welcome or tree) before the picture.
    await session.workbench.page.locator('.part.sidebar .monaco-progress-container.active').waitFor({ state: 'hidden', timeout: 30_000 });
    await session.workbench.screenshot('workbench-eks-connector-sidebar');
  });
});
