import { CliError, ExitCode, usageError } from '../cli-error.js';

/**
 * Reads a secret from the terminal without echoing it: raw mode, so the terminal shows nothing
 * while the user types or pastes. Backspace edits; Enter ends; Ctrl-C stops the command (exit
 * 130) and Ctrl-D on an empty line gives up. The terminal is restored on every path.
 */
export async function readSecret(
  prompt: string,
  input: NodeJS.ReadStream = process.stdin,
  output: NodeJS.WriteStream = process.stderr,
): Promise<string> {
  if (input.isTTY !== true) {
    throw usageError('standard input is not a terminal: pipe the API key with --api-key-stdin');
  }
  output.write(prompt);
  input.setRawMode(true);
  input.setEncoding('utf8');
  input.resume();
  try {
    return await new Promise<string>((resolve, reject) => {
      let secret = '';
      input.on('data', (chunk: string) => {
        for (const ch of chunk) {
          if (ch === '\r' || ch === '\n') return resolve(secret);
          if (ch === '\u0003') return reject(new CliError('interrupted', ExitCode.Interrupted));
          if (ch === '\u0004') {
            if (secret === '') return reject(usageError('no API key was entered'));
            return resolve(secret);
          }
          if (ch === '\u007f' || ch === '\b') secret = secret.slice(0, -1);
          else if (ch >= ' ') secret += ch;
        }
      });
    });
  } finally {
    input.setRawMode(false);
    input.removeAllListeners('data');
    input.pause();
    output.write('\n');
  }
}

/** The first line of standard input (`--api-key-stdin`), trimmed; empty is an error. */
export async function readFirstLine(input: NodeJS.ReadStream = process.stdin): Promise<string> {
  let text = '';
  input.setEncoding('utf8');
  for await (const chunk of input as AsyncIterable<string>) {
    text += chunk;
    if (text.includes('\n')) break;
  }
  const line = (text.split(/\r?\n/)[0] ?? '').trim();
  if (line === '') throw usageError('--api-key-stdin: standard input held no API key');
  return line;
}
