import { usageError } from '../cli-error.js';
import { ApiClient } from './api-client.js';
import { requestTimeoutMs, resolveTarget } from './config.js';
import { note } from './output.js';

/** A command group's subcommands (`nomaly datasets upload|list|show`). */
export type Subcommands = Record<string, (argv: string[]) => Promise<void>>;

/** Runs `group SUB args…`, or fails with the group's help when SUB is missing or unknown. */
export async function runSubcommand(
  group: string,
  argv: string[],
  subcommands: Subcommands,
  help: string,
): Promise<void> {
  const [name, ...rest] = argv;
  const known = Object.keys(subcommands).join('|');
  if (name === undefined) throw usageError(`${group} needs a subcommand: ${known}\n\n${help}`);
  const run = subcommands[name];
  if (run === undefined) {
    throw usageError(`${group}: unknown subcommand '${name}'; one of ${known}\n\n${help}`);
  }
  await run(rest);
}

/** Exactly `names.length` positional arguments, named in the message when they are not. */
export function expectPositionals(usage: string, positionals: string[], names: string[]): string[] {
  if (positionals.length !== names.length) {
    const what = names.length === 0 ? 'no arguments' : names.join(' ');
    throw usageError(
      `${usage} takes ${what}, got ${positionals.length === 0 ? 'none' : positionals.join(' ')}`,
    );
  }
  return positionals;
}

/** An integer option within bounds, or a usage error naming the option. */
export function integerOption(
  option: string,
  text: string,
  min: number,
  max: number = Number.MAX_SAFE_INTEGER,
): number {
  const value = Number(text);
  if (!/^-?\d+$/.test(text.trim()) || !Number.isSafeInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `from ${min} to ${max}`;
    throw usageError(`${option} must be an integer ${range}, got '${text}'`);
  }
  return value;
}

/** A number option within bounds, or a usage error naming the option. */
export function numberOption(option: string, text: string, min: number, max: number): number {
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || value < min || value > max) {
    throw usageError(`${option} must be a number from ${min} to ${max}, got '${text}'`);
  }
  return value;
}

/**
 * `--param key=value` pairs as a parameters object. Values are read as JSON when they parse
 * (numbers, booleans, null, arrays) and kept as text otherwise (`contamination=auto`); the API
 * checks them against the algorithm's parameter schema and names a wrong one.
 */
export function parseParams(pairs: readonly string[]): Record<string, unknown> {
  const params: Record<string, unknown> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0)
      throw usageError(`--param ${pair}: expected key=value, e.g. --param nEstimators=200`);
    const key = pair.slice(0, eq);
    const text = pair.slice(eq + 1);
    if (key in params) throw usageError(`--param ${key} is given twice`);
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      value = text;
    }
    params[key] = value;
  }
  return params;
}

/** An API client for the logged-in (or environment-given) API. */
export function connect(): ApiClient {
  const target = resolveTarget(note);
  return new ApiClient({
    url: target.url,
    apiKey: target.apiKey,
    timeoutMs: requestTimeoutMs(),
    apiKeyFrom: target.apiKeyFrom,
  });
}

/** Encodes an id taken from the command line for a URL path. */
export function idPath(id: string): string {
  return encodeURIComponent(id);
}
