// POSIX shell quoting for the commands shown to the user to copy into a terminal, so that a profile, context or
// pod name is always one argument and never shell syntax. Written here rather than taken from the shell-quote
// package: that one escapes "!" inside double quotes, which sh keeps as a literal backslash; single quotes, as
// below (the rule of Python's shlex.quote), are read back verbatim by every POSIX shell.

/** Characters no POSIX shell (nor zsh) treats specially; "=" only after the first character (zsh's =cmd). */
const BARE = /^[A-Za-z0-9_@%+:,./-][A-Za-z0-9_@%+=:,./-]*$/;

/** One argument as the shell will read it back unchanged: bare when it is plain, else in single quotes. */
export function shellQuote(arg: string): string {
  if (BARE.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** A command line whose every element the shell reads back as exactly one argument. */
export function shellCommand(argv: readonly string[]): string {
  return argv.map(shellQuote).join(' ');
}
