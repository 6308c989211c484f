import type { Database } from './database.js';

/** Where the command writes: stdout and stderr by default, captured in tests. */
export interface MigrationCliOutput {
  out(line: string): void;
  err(line: string): void;
}

const COMMANDS = ['up', 'down', 'status'] as const;
type Command = (typeof COMMANDS)[number];

export const MIGRATION_CLI_USAGE = [
  'usage: migrate <command>',
  '  up      apply every pending migration (in one transaction)',
  '  down    revert the most recently applied migration',
  '  status  list applied [x] and pending [ ] migrations',
].join('\n');

const STDIO: MigrationCliOutput = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

/**
 * The body of a service's `migrate` command: migrations run on purpose, from a deploy step or an
 * operator, never implicitly at boot.
 *
 * @param argv the arguments after the command name, e.g. `process.argv.slice(2)`
 * @param open opens the service's database; called only for a valid command, closed afterwards
 * @returns the process exit code: 0 done, 1 failed, 2 usage error
 * @example
 * process.exitCode = await runMigrationCli(process.argv.slice(2), () => Database.open(options));
 */
export async function runMigrationCli(
  argv: readonly string[],
  open: () => Promise<Database>,
  output: MigrationCliOutput = STDIO,
): Promise<number> {
  const [command, ...extra] = argv;
  if (command === '--help' || command === '-h' || command === 'help') {
    output.out(MIGRATION_CLI_USAGE);
    return 0;
  }
  if (!isCommand(command) || extra.length > 0) {
    output.err(
      command === undefined
        ? 'missing command'
        : isCommand(command)
          ? `unexpected arguments after '${command}': ${extra.join(' ')}`
          : `unknown command '${command}'`,
    );
    output.err(MIGRATION_CLI_USAGE);
    return 2;
  }

  let database: Database | undefined;
  try {
    database = await open();
    await run(command, database, output);
    return 0;
  } catch (error) {
    output.err(
      `migrate ${command} failed: ${error instanceof Error ? error.message : String(error)}`,
    );
    return 1;
  } finally {
    await database?.close();
  }
}

async function run(
  command: Command,
  database: Database,
  output: MigrationCliOutput,
): Promise<void> {
  switch (command) {
    case 'up': {
      const applied = await database.migrate();
      if (applied.length === 0) output.out(`schema ${database.schema}: no pending migrations`);
      for (const name of applied) output.out(`applied ${name}`);
      return;
    }
    case 'down': {
      const reverted = await database.revertLast();
      output.out(
        reverted === undefined
          ? `schema ${database.schema}: no applied migration to revert`
          : `reverted ${reverted}`,
      );
      return;
    }
    case 'status': {
      const { applied, pending } = await database.migrationStatus();
      for (const name of applied) output.out(`[x] ${name}`);
      for (const name of pending) output.out(`[ ] ${name}`);
      output.out(`schema ${database.schema}: ${applied.length} applied, ${pending.length} pending`);
      return;
    }
  }
}

function isCommand(value: string | undefined): value is Command {
  return (COMMANDS as readonly (string | undefined)[]).includes(value);
}
