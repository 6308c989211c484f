import { parseArgs } from 'node:util';
import { connect, expectPositionals, integerOption, runSubcommand } from '../client/args.js';
import { getJob, printJob, reportFinishedJob, watchJob } from '../client/jobs-watch.js';
import { printJson } from '../client/output.js';
import { DEFAULT_WAIT_S } from './detectors.js';

export const JOBS_HELP = `Usage: nomaly jobs watch JOB_ID [--timeout S] [--json]
       nomaly jobs show JOB_ID [--json]

watch   follows a training or batch-detection job with a progress bar (on a terminal) until it
        ends, then prints it. Exit 0 when it succeeded, 1 when it failed or was cancelled (its
        error is printed), 6 when it is still running after --timeout seconds (default 3600;
        the job goes on).
show    the job as it is now: state, progress, attempts, error, result (exit 0 whatever its
        state).
`;

export async function jobs(argv: string[]): Promise<void> {
  await runSubcommand('jobs', argv, { watch, show }, JOBS_HELP);
}

async function watch(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      timeout: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  });
  const [id] = expectPositionals('jobs watch', positionals, ['JOB_ID']) as [string];
  const waitS =
    values.timeout === undefined ? DEFAULT_WAIT_S : integerOption('--timeout', values.timeout, 1);
  const job = await watchJob(connect(), id, waitS * 1000);
  reportFinishedJob(job, values.json, printJson);
}

async function show(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { json: { type: 'boolean', default: false } },
  });
  const [id] = expectPositionals('jobs show', positionals, ['JOB_ID']) as [string];
  const job = await getJob(connect(), id);
  if (values.json) printJson(job);
  else printJob(job);
}
