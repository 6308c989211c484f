/**
 * The local stack's embedded PostgreSQL, in a process of its own so `nomaly up` can stop it last,
 * after every service has drained (a Postgres in the terminal's process group would get Ctrl-C
 * with everything else and cut the services' shutdown short). Reports its URL over IPC, stops the
 * server on SIGTERM or when its parent disappears.
 */
import { startEmbeddedPostgres, type DatabaseLogger } from '@nomaly/platform-persistence';

const dataDir = process.env.NOMALY_POSTGRES_DIR;
const port = Number(process.env.NOMALY_POSTGRES_PORT);
if (dataDir === undefined || !Number.isInteger(port)) {
  process.stderr.write('NOMALY_POSTGRES_DIR and NOMALY_POSTGRES_PORT are required\n');
  process.exit(2);
}

const write = (level: string) => (obj: object, msg?: string) => {
  process.stdout.write(`${JSON.stringify({ level, time: Date.now(), ...obj, msg })}\n`);
};
const logger: DatabaseLogger = {
  debug: () => undefined,
  info: write('info'),
  warn: write('warn'),
  error: write('error'),
};

const server = await startEmbeddedPostgres({ dataDir, port, logger });
let stopping = false;
const stop = async (): Promise<void> => {
  if (stopping) return;
  stopping = true;
  await server.stop();
  process.exit(0);
};
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());
// The IPC channel closes when `nomaly up` dies without stopping us (kill -9).
process.on('disconnect', () => void stop());
process.send?.({ url: server.url });
