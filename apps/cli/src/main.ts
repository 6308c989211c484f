import { LIBRARY_VERSION } from '@nomaly/detection-core';
import { CliError, ExitCode } from './cli-error.js';
import { ALGORITHMS_HELP, algorithms } from './commands/algorithms.js';
import { BENCH_HELP, bench } from './commands/bench.js';
import { DEMO_HELP, demo } from './commands/demo.js';
import { DETECT_HELP, detect } from './commands/detect.js';
import { UP_HELP, up } from './commands/up.js';

const HELP = `nomaly — anomaly detection on tabular data

Usage: nomaly <command> [options]

Commands:
  detect FILE.csv --algorithm NAME   score every row of a CSV file (score,label)
  bench [--datasets DIR]             ROC-AUC, AP and timings on labelled CSV files
  algorithms                         the algorithms and their parameters
  demo                               detect planted anomalies in generated sensor data
  up                                 start the local stack (services + gateway) with demo data
  help [COMMAND]                     this text, or a command's

Exit codes: 0 success, 1 the input could not be processed, 2 usage error.
`;

const COMMANDS: Record<string, { run: (argv: string[]) => Promise<void> | void; help: string }> = {
  detect: { run: detect, help: DETECT_HELP },
  bench: { run: bench, help: BENCH_HELP },
  algorithms: { run: algorithms, help: ALGORITHMS_HELP },
  demo: { run: demo, help: DEMO_HELP },
  up: { run: up, help: UP_HELP },
};

async function main(argv: string[]): Promise<ExitCode> {
  const [name, ...rest] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    const topic = name === 'help' && rest[0] !== undefined ? COMMANDS[rest[0]] : undefined;
    process.stdout.write(topic?.help ?? HELP);
    return ExitCode.Ok;
  }
  if (name === '--version' || name === '-v') {
    process.stdout.write(`nomaly ${LIBRARY_VERSION}\n`);
    return ExitCode.Ok;
  }
  const command = COMMANDS[name];
  if (command === undefined) {
    process.stderr.write(`nomaly: unknown command '${name}'\n\n${HELP}`);
    return ExitCode.Usage;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(command.help);
    return ExitCode.Ok;
  }
  await command.run(rest);
  return ExitCode.Ok;
}

// A closed pipe (`nomaly detect … | head`) is the reader's choice, not an error.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(ExitCode.Ok);
  throw e;
});

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`nomaly: ${describe(e)}\n`);
    process.exitCode =
      e instanceof CliError ? e.exitCode : isUsage(e) ? ExitCode.Usage : ExitCode.Failure;
  },
);

function describe(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
}

/** parseArgs rejects unknown options and missing values with these codes. */
function isUsage(e: unknown): boolean {
  const code = (e as { code?: string }).code;
  return typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS');
}
