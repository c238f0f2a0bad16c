// CLI: `tsx emulator/src/main.ts --port <p> [--host 127.0.0.1] [--state <file>] [--seed <file>]`.
// Prints one "listening" line when ready; exit 2 for bad flags or a bad seed, exit 1 when the port is taken.
import { StateFileError } from './persistence';
import { SeedValidationError } from './seed';
import { startEmulator, type EmulatorOptions, type RunningEmulator } from './server';

const USAGE = 'Usage: tsx emulator/src/main.ts [--port <port>] [--host <address>] [--state <file>] [--seed <file>]';

type ParsedArgs = { ok: true; options: EmulatorOptions } | { ok: false; message: string } | { ok: 'help' };

export function parseArgs(argv: readonly string[]): ParsedArgs {
  const options: EmulatorOptions = {};
  for (let index = 0; index < argv.length; index++) {
    const flag = argv[index];
    if (flag === '--help' || flag === '-h') return { ok: 'help' };
    const equals = flag.indexOf('=');
    const name = equals > 0 ? flag.slice(0, equals) : flag;
    if (!['--port', '--host', '--state', '--seed'].includes(name)) return { ok: false, message: `Unknown argument ${JSON.stringify(flag)}.` };
    const value = equals > 0 ? flag.slice(equals + 1) : argv[++index];
    if (value === undefined || value === '' || (equals < 0 && value.startsWith('--'))) return { ok: false, message: `${name} needs a value.` };
    switch (name) {
      case '--port': {
        const port = Number(value);
        if (!Number.isInteger(port) || port < 0 || port > 65535) return { ok: false, message: `--port must be an integer from 0 to 65535, got ${JSON.stringify(value)}.` };
        options.port = port;
        break;
      }
      case '--host':
        options.host = value;
        break;
      case '--state':
        options.statePath = value;
        break;
      case '--seed':
        options.seed = value;
        break;
    }
  }
  return { ok: true, options };
}

async function main(): Promise<void> {
  const parsed = parseArgs(process.argv.slice(2));
  if (parsed.ok === 'help') {
    console.log(USAGE);
    return;
  }
  if (!parsed.ok) {
    console.error(`${parsed.message}\n${USAGE}`);
    process.exit(2);
  }
  let emulator: RunningEmulator;
  try {
    emulator = await startEmulator(parsed.options);
  } catch (error) {
    if (error instanceof SeedValidationError || error instanceof StateFileError) {
      console.error(error.message);
      process.exit(2);
    }
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') {
      console.error(`Port ${parsed.options.port} on ${parsed.options.host ?? '127.0.0.1'} is already in use; stop the other process or choose another --port.`);
      process.exit(1);
    }
    if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND' || code === 'EACCES') {
      console.error(`Cannot listen on ${parsed.options.host ?? '127.0.0.1'}:${parsed.options.port ?? 0}: ${(error as Error).message}`);
      process.exit(1);
    }
    throw error;
  }
  console.log(`AWS emulator listening on ${emulator.url}`);
  const running = emulator;
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    running.close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(`AWS emulator: error while stopping on ${signal}:`, error);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((error: unknown) => {
  console.error('AWS emulator failed to start:', error);
  process.exit(1);
});
