import { parseArgs } from 'node:util';
import { listAlgorithms } from '@nomaly/detection-core';
import { usageError } from '../cli-error.js';

export const ALGORITHMS_HELP = `Usage: nomaly algorithms [--json]

Lists the detection algorithms with their parameters and defaults.
`;

export function algorithms(argv: string[]): void {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { json: { type: 'boolean', default: false } },
  });
  if (positionals.length > 0)
    throw usageError(`algorithms takes no arguments\n\n${ALGORITHMS_HELP}`);
  const list = listAlgorithms();
  if (values.json) {
    process.stdout.write(`${JSON.stringify(list, null, 2)}\n`);
    return;
  }
  for (const a of list) {
    const props = (a.parameters as { properties: Record<string, { default: unknown }> }).properties;
    const params = Object.entries(props)
      .map(([k, v]) => `${k}=${JSON.stringify(v.default)}`)
      .join(' ');
    process.stdout.write(
      `${a.name.padEnd(9)} ${a.title}${a.explainable ? ' (explains)' : ''}\n          ${a.reference}\n          ${params}\n`,
    );
  }
}
