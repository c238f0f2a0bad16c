// The one line a failed command shows: the command's title (never its id), what failed, what to do and what is left
// behind, as the CLI prints them. Pure (no vscode), so the wording is tested without a window.
import { describeAwsError } from '../core/aws/errors';

/** What a failure may carry besides its message (ConnectorError, KubeOperationError, DescribedError-like). */
interface FailureParts {
  readonly message?: string;
  readonly name?: string;
  readonly fix?: string;
  readonly remaining?: readonly string[];
  readonly described?: { readonly fix?: string };
  readonly $metadata?: unknown;
}

/** "Grant Console Access…" → "Grant Console Access": the title as the user saw it in the menu, without the ellipsis. */
export function commandLabel(title: string): string {
  return title.replace(/…$|\.\.\.$/, '').trim();
}

/**
 * `<title> failed: <what failed>. <what to do> Left behind: <a>; <b>.`. A failure already written for the user
 * (`userFacing`) keeps its words, prefixed by the title unless it names it already.
 */
export function commandFailureMessage(title: string, error: unknown, userFacing = false): string {
  const label = commandLabel(title);
  const e = (typeof error === 'object' && error !== null ? error : { message: String(error) }) as FailureParts;
  if (userFacing) return (e.message ?? '').startsWith(label) ? e.message ?? '' : `${label}: ${e.message ?? ''}`;
  // An AWS SDK error that no module described yet: describe it as the CLI would.
  const described = e.$metadata !== undefined ? describeAwsError(error, { activity: label }) : undefined;
  let text = described ? [described.reason, described.fix].filter(Boolean).join(' ') : e.message ?? String(error);
  const fix = e.fix ?? e.described?.fix;
  if (fix && !text.includes(fix)) text = `${sentence(text)} ${fix}`;
  const remaining = e.remaining ?? [];
  if (remaining.length) text = `${sentence(text)} Left behind: ${remaining.join('; ')}.`;
  return `${label} failed: ${text}`;
}

function sentence(text: string): string {
  return /[.!?]$/.test(text.trim()) ? text.trim() : `${text.trim()}.`;
}
