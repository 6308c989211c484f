import { parseArgs } from 'node:util';
import { usageError } from '../cli-error.js';
import {
  connect,
  expectPositionals,
  idPath,
  integerOption,
  runSubcommand,
} from '../client/args.js';
import { printJson, say, when } from '../client/output.js';
import { listCommand } from '../client/list-command.js';

export const MODELS_HELP = `Usage: nomaly models list [--limit N] [--cursor C] [--json]
       nomaly models promote MODEL_ID --version N [--alias champion|challenger] [--json]
       nomaly models rollback MODEL_ID [--json]

list      the registry's models: latest version, and the versions the champion and challenger
          aliases point at. A detector scores with its model's champion when there is one.
promote   points an alias (default champion) at version N; the challenger moved to champion
          stops being the challenger.
rollback  the champion goes back to the version it pointed at before (again: further back);
          an API error (409) when there is no earlier champion.
`;

interface Model {
  id: string;
  name: string;
  algorithm: string;
  detectorId: string | null;
  latestVersion: number;
  champion: number | null;
  challenger: number | null;
  createdAt: string;
}

const ALIASES = ['champion', 'challenger'];

export async function models(argv: string[]): Promise<void> {
  await runSubcommand('models', argv, { list, promote, rollback }, MODELS_HELP);
}

async function list(argv: string[]): Promise<void> {
  await listCommand<Model>(argv, {
    noun: 'models',
    path: '/api/v1/models',
    columns: ['ID', 'NAME', 'ALGORITHM', 'LATEST', 'CHAMPION', 'CHALLENGER', 'CREATED'],
    row: (m) => [
      m.id,
      m.name,
      m.algorithm,
      m.latestVersion,
      m.champion,
      m.challenger,
      when(m.createdAt),
    ],
  });
}

async function promote(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      version: { type: 'string' },
      alias: { type: 'string', default: 'champion' },
      json: { type: 'boolean', default: false },
    },
  });
  const [id] = expectPositionals('models promote', positionals, ['MODEL_ID']) as [string];
  if (values.version === undefined) throw usageError('models promote: --version N is required');
  const version = integerOption('--version', values.version, 1);
  if (!ALIASES.includes(values.alias)) {
    throw usageError(`--alias must be one of ${ALIASES.join(', ')}, got '${values.alias}'`);
  }
  const model = (
    await connect().call<Model>(`/api/v1/models/${idPath(id)}/promote`, {
      json: { version, alias: values.alias },
    })
  ).body;
  if (values.json) return printJson(model);
  say(`Promoted ${model.name} version ${version} to ${values.alias}. ${aliases(model)}`);
}

async function rollback(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { json: { type: 'boolean', default: false } },
  });
  const [id] = expectPositionals('models rollback', positionals, ['MODEL_ID']) as [string];
  const model = (await connect().call<Model>(`/api/v1/models/${idPath(id)}/rollback`, { json: {} }))
    .body;
  if (values.json) return printJson(model);
  say(`Rolled back ${model.name}. ${aliases(model)}`);
}

function aliases(model: Model): string {
  return `champion: ${model.champion ?? '-'}, challenger: ${model.challenger ?? '-'}`;
}
