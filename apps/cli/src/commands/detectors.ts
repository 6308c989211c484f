import { parseArgs } from 'node:util';
import { usageError } from '../cli-error.js';
import {
  connect,
  expectPositionals,
  idPath,
  integerOption,
  numberOption,
  parseParams,
  runSubcommand,
} from '../client/args.js';
import { describeTraining, reportFinishedJob, watchJob, type Job } from '../client/jobs-watch.js';
import { requestTimeoutMs } from '../client/config.js';
import { note, printJson, say, when } from '../client/output.js';
import { listCommand } from '../client/list-command.js';

export const DETECTORS_HELP = `Usage: nomaly detectors create --name N --algorithm A [--param K=V …] [--contamination X] [--json]
       nomaly detectors list [--limit N] [--cursor C] [--json]
       nomaly detectors train ID --dataset DATASET_ID [--seed N] [--wait [--timeout S]] [--json]

create   a detector of an algorithm of the API's catalogue (nomaly algorithms lists the same
         ones); --param sets a parameter (repeatable; values read as JSON when they parse, e.g.
         --param nEstimators=200 --param contamination=auto), --contamination the expected
         share of anomalies (0-0.5).
list     the detectors with their latest trained version; --limit (1-200), --cursor as for
         datasets list.
train    fits the detector on a stored dataset. Small datasets train within the call (the new
         model version is printed); large ones become a job (202): its id is printed, and with
         --wait the command follows it with a progress bar until it ends (exit 0 succeeded,
         1 failed or cancelled, 6 still running after --timeout seconds, default 3600).
`;

interface Detector {
  id: string;
  name: string;
  algorithm: string;
  parameters: Record<string, unknown>;
  features: string[] | null;
  modelId: string | null;
  latestVersion: number | null;
  createdAt?: string;
}

export const DEFAULT_WAIT_S = 3600;

/** A training within the call holds it as long as the fit takes: the ML preset's bound. */
const TRAIN_TIMEOUT_S = 300;

export async function detectors(argv: string[]): Promise<void> {
  await runSubcommand('detectors', argv, { create, list, train }, DETECTORS_HELP);
}

async function create(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      name: { type: 'string' },
      algorithm: { type: 'string', short: 'a' },
      param: { type: 'string', short: 'p', multiple: true, default: [] },
      contamination: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  });
  expectPositionals('detectors create', positionals, []);
  if (values.name === undefined || values.name === '')
    throw usageError('detectors create: --name is required');
  if (values.algorithm === undefined || values.algorithm === '') {
    throw usageError('detectors create: --algorithm is required (nomaly algorithms lists them)');
  }
  const request: Record<string, unknown> = {
    name: values.name,
    algorithm: values.algorithm,
    parameters: parseParams(values.param),
  };
  if (values.contamination !== undefined) {
    request.contamination = numberOption('--contamination', values.contamination, 0, 0.5);
  }
  const created = (await connect().call<Detector>('/api/v1/detectors', { json: request })).body;
  if (values.json) return printJson(created);
  say(`Created detector ${created.name} (${created.algorithm}): ${created.id}`);
  say(`Train it: nomaly detectors train ${created.id} --dataset DATASET_ID --wait`);
}

async function list(argv: string[]): Promise<void> {
  await listCommand<Detector>(argv, {
    noun: 'detectors',
    path: '/api/v1/detectors',
    columns: ['ID', 'NAME', 'ALGORITHM', 'VERSION', 'MODEL', 'CREATED'],
    row: (d) => [d.id, d.name, d.algorithm, d.latestVersion, d.modelId, when(d.createdAt)],
  });
}

async function train(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      dataset: { type: 'string', short: 'd' },
      seed: { type: 'string' },
      wait: { type: 'boolean', default: false },
      timeout: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  });
  const [id] = expectPositionals('detectors train', positionals, ['ID']) as [string];
  if (values.dataset === undefined || values.dataset === '') {
    throw usageError('detectors train: --dataset DATASET_ID is required');
  }
  if (values.timeout !== undefined && !values.wait) {
    throw usageError('detectors train: --timeout only applies with --wait');
  }
  const waitS =
    values.timeout === undefined ? DEFAULT_WAIT_S : integerOption('--timeout', values.timeout, 1);
  const request: Record<string, unknown> = { datasetId: values.dataset };
  if (values.seed !== undefined)
    request.seed = integerOption('--seed', values.seed, 0, 2 ** 31 - 1);

  const client = connect();
  const answer = await client.call<Record<string, unknown>>(
    `/api/v1/detectors/${idPath(id)}/train`,
    {
      json: request,
      timeoutMs: requestTimeoutMs(TRAIN_TIMEOUT_S),
    },
  );
  if (answer.status !== 202) {
    if (values.json) return printJson(answer.body);
    say(`Trained detector ${id}: ${describeTraining(answer.body)}`);
    return;
  }
  const accepted = answer.body as unknown as Job & { jobId: string };
  const jobId = accepted.jobId ?? accepted.id;
  if (!values.wait) {
    if (values.json) return printJson(accepted);
    say(
      `Training job ${jobId} accepted (${accepted.state}); the dataset is large enough to train as a job.`,
    );
    say(`Follow it: nomaly jobs watch ${jobId}`);
    return;
  }
  if (!values.json) note(`training as job ${jobId}`);
  const job = await watchJob(client, jobId, waitS * 1000);
  reportFinishedJob(job, values.json, printJson);
}
