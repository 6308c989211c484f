import { parseArgs } from 'node:util';
import { ApiClient } from '../client/api-client.js';
import { expectPositionals } from '../client/args.js';
import {
  configPath,
  normalizeUrl,
  removeConfig,
  requestTimeoutMs,
  writeConfig,
} from '../client/config.js';
import { note, printJson, say } from '../client/output.js';
import { readFirstLine, readSecret } from '../client/prompt.js';

export const LOGIN_HELP = `Usage: nomaly login URL [--api-key-stdin] [--json]
       nomaly logout [--json]

login asks for an API key (typed without echo on a terminal, or the first line of standard
input with --api-key-stdin), checks it by exchanging it for an access token at URL (the gateway,
e.g. http://localhost:8080), and stores {url, apiKey} in $XDG_CONFIG_HOME/nomaly/config.json
(default ~/.config/nomaly/config.json), readable by you only (file 0600, folder 0700). A
refused key is not stored (exit 5).

logout deletes that file. NOMALY_URL and NOMALY_API_KEY, when set, override the stored values
for every command.

Examples:
  nomaly login http://localhost:8080
  printf '%s\\n' "$KEY" | nomaly login https://nomaly.example.com --api-key-stdin
`;

interface Me {
  tenantId: string;
  roles: string[];
  kind: string;
}

export async function login(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      'api-key-stdin': { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
    },
  });
  const [given] = expectPositionals('login', positionals, ['URL']);
  const url = normalizeUrl(given!, 'login URL');
  const local = /^http:\/\/(localhost|127\.\d+\.\d+\.\d+|\[::1\])(:|\/|$)/.test(url);
  if (url.startsWith('http://') && !local) {
    note(`warning: ${url} is plain HTTP: the API key and tokens cross the network unencrypted`);
  }
  const apiKey = values['api-key-stdin']
    ? await readFirstLine()
    : await readSecret(`API key for ${url}: `);

  const client = new ApiClient({ url, apiKey, timeoutMs: requestTimeoutMs() });
  await client.exchangeKey();
  const me = (await client.call<Me>('/api/v1/auth/me')).body;
  const file = configPath();
  writeConfig(file, { url, apiKey });
  if (values.json) {
    printJson({ url, tenantId: me.tenantId, roles: me.roles, configFile: file });
    return;
  }
  say(`Logged in to ${url} (tenant ${me.tenantId}, roles ${me.roles.join(', ')})`);
  say(`The key is stored in ${file}`);
}

export function logout(argv: string[]): void {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { json: { type: 'boolean', default: false } },
  });
  expectPositionals('logout', positionals, []);
  const file = configPath();
  const removed = removeConfig(file);
  if (values.json) printJson({ configFile: file, removed });
  else say(removed ? `Logged out: removed ${file}` : `Not logged in (no ${file})`);
}
