import { LIBRARY_VERSION } from '@nomaly/detection-core';
import { CliError, ExitCode } from './cli-error.js';
import { ALGORITHMS_HELP, algorithms } from './commands/algorithms.js';
import { BENCH_HELP, bench } from './commands/bench.js';
import { DATASETS_HELP, datasets } from './commands/datasets.js';
import { DEMO_HELP, demo } from './commands/demo.js';
import { DETECT_HELP, detect } from './commands/detect.js';
import { DETECTORS_HELP, detectors } from './commands/detectors.js';
import { JOBS_HELP, jobs } from './commands/jobs.js';
import { LOGIN_HELP, login, logout } from './commands/login.js';
import { MODELS_HELP, models } from './commands/models.js';
import { UP_HELP, up } from './commands/up.js';

const HELP = `nomaly — anomaly detection on tabular data, here or through the Nomaly API

Usage: nomaly <command> [options]

On this machine:
  detect FILE.csv --algorithm NAME   score every row of a CSV file (score,label)
  bench [--datasets DIR]             ROC-AUC, AP and timings on labelled CSV files
  algorithms                         the algorithms and their parameters
  demo                               detect planted anomalies in generated sensor data
  up                                 start the local stack (services + gateway) with demo data

Through the API (the gateway of a running stack):
  login URL | logout                 store or forget the API and its key
  datasets upload|list|show          upload a file, list, show columns and quality
  detectors create|list|train        create from the catalogue, list, train (--wait)
  detect DETECTOR_ID FILE.csv        score a CSV file with a trained detector (score,label)
  models list|promote|rollback       the model registry and its champion/challenger aliases
  jobs watch|show JOB_ID             follow a training or detection job

  help [COMMAND]                     this text, or a command's

Every API command takes --json (one JSON document on standard output, nothing else there).
The API and key come from nomaly login, or NOMALY_URL and NOMALY_API_KEY; NOMALY_TIMEOUT
(seconds) bounds each request.

Exit codes:
  0  success
  1  the work failed: the input could not be processed, or a watched job failed or was cancelled
  2  usage or configuration error (unknown command, option or value; unreadable config file)
  3  API error: the API answered 4xx/5xx (its problem title, detail and code are printed)
  4  network error: the API could not be reached (connection refused, DNS, TLS, timeout)
  5  auth error: not logged in, the API key was refused (401), or not allowed this (403)
  6  a job was still running when --timeout passed (it goes on)
`;

const COMMANDS: Record<string, { run: (argv: string[]) => Promise<void> | void; help: string }> = {
  detect: { run: detect, help: DETECT_HELP },
  bench: { run: bench, help: BENCH_HELP },
  algorithms: { run: algorithms, help: ALGORITHMS_HELP },
  demo: { run: demo, help: DEMO_HELP },
  up: { run: up, help: UP_HELP },
  login: { run: login, help: LOGIN_HELP },
  logout: { run: logout, help: LOGIN_HELP },
  datasets: { run: datasets, help: DATASETS_HELP },
  detectors: { run: detectors, help: DETECTORS_HELP },
  models: { run: models, help: MODELS_HELP },
  jobs: { run: jobs, help: JOBS_HELP },
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
