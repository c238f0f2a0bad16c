// Types of scripts/npmInstall.mjs (plain JavaScript: it runs before anything is installed).
import type { Writable } from 'node:stream';

export declare const EXPECTED_INSTALL_SCRIPTS: readonly string[];
export declare function filterInstallScriptsNotice(stderr: string, expected?: readonly string[]): { shown: string; listed: string[] };
export declare function runNpm(
  args: readonly string[],
  options: { cwd: string; expected?: readonly string[]; stdout?: Pick<Writable, 'write'>; stderr?: Pick<Writable, 'write'> },
): Promise<{ code: number; listed: string[] }>;
export declare function installedLine(command: string, listed: readonly string[]): string;
