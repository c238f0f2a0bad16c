// The extension's one log: a LogOutputChannel (level chosen in the Output panel) behind a redactor, so no
// secret reaches it whatever a caller passes in.
import * as vscode from 'vscode';
import { SecretRedactor } from '../core/util/redact';

export class Logger implements vscode.Disposable {
  readonly channel: vscode.LogOutputChannel;

  constructor(name: string, readonly redactor: SecretRedactor) {
    this.channel = vscode.window.createOutputChannel(name, { log: true });
  }

  /** A logger whose lines are tagged `[component]`. */
  scoped(component: string): ScopedLogger {
    return new ScopedLogger(this, component);
  }

  write(level: 'trace' | 'debug' | 'info' | 'warn' | 'error', text: string): void {
    this.channel[level](this.redactor.redact(text));
  }

  show(): void {
    this.channel.show(true);
  }

  dispose(): void {
    this.channel.dispose();
  }
}

export class ScopedLogger {
  constructor(private readonly logger: Logger, private readonly component: string) {}
  trace(text: string): void { this.logger.write('trace', `[${this.component}] ${text}`); }
  debug(text: string): void { this.logger.write('debug', `[${this.component}] ${text}`); }
  info(text: string): void { this.logger.write('info', `[${this.component}] ${text}`); }
  warn(text: string): void { this.logger.write('warn', `[${this.component}] ${text}`); }
  error(text: string, error?: unknown): void {
    const detail = error instanceof Error ? `${error.name}: ${error.message}${error.stack ? `\n${error.stack}` : ''}` : error === undefined ? '' : String(error);
    this.logger.write('error', `[${this.component}] ${text}${detail ? ` — ${detail}` : ''}`);
  }
}
