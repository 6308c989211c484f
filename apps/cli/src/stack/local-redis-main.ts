/**
 * The local stack's Redis when none is configured: the machine's `redis-server`, run by this
 * process so that `nomaly up` can stop it after every service has drained and so that it never
 * outlives a `nomaly up` killed without its chance to stop it. Nothing is persisted: Redis only
 * carries the queues and caches, and the worker's reconciler queues again from Postgres whatever
 * a fresh Redis lacks. Reports its URL over IPC once it answers PING.
 */
import { spawn } from 'node:child_process';
import { connect } from 'node:net';

const binary = process.env.NOMALY_REDIS_SERVER;
const port = Number(process.env.NOMALY_REDIS_PORT);
const dir = process.env.NOMALY_REDIS_DIR;
if (binary === undefined || dir === undefined || !Number.isInteger(port)) {
  process.stderr.write(
    'NOMALY_REDIS_SERVER, NOMALY_REDIS_PORT and NOMALY_REDIS_DIR are required\n',
  );
  process.exit(2);
}

const READY_TIMEOUT_MS = 20_000;

const server = spawn(
  binary,
  [
    '--bind',
    '127.0.0.1',
    '--port',
    String(port),
    '--save',
    '',
    '--appendonly',
    'no',
    '--dir',
    dir,
    '--protected-mode',
    'yes',
  ],
  { stdio: ['ignore', 'inherit', 'inherit'] },
);
let stopping = false;
server.once('exit', (code, signal) => {
  if (!stopping) process.stderr.write(`redis-server exited (${code ?? signal})\n`);
  process.exit(stopping ? 0 : 1);
});

const stop = (): void => {
  if (stopping) return;
  stopping = true;
  server.kill('SIGTERM');
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
// The IPC channel closes when `nomaly up` dies without stopping us (kill -9).
process.on('disconnect', stop);

/** True once the server answers PING on its port. */
function pong(): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    let reply = '';
    socket.setTimeout(1_000, () => socket.destroy());
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk: Buffer) => {
      reply += chunk.toString('utf8');
      if (reply.includes('\r\n')) socket.end();
    });
    socket.on('close', () => resolve(reply.startsWith('+PONG')));
    socket.on('error', () => undefined);
  });
}

const deadline = Date.now() + READY_TIMEOUT_MS;
while (!(await pong())) {
  if (stopping) process.exit(0);
  if (Date.now() > deadline) {
    process.stderr.write(`redis-server did not answer PING within ${READY_TIMEOUT_MS / 1000} s\n`);
    stop();
    process.exit(1);
  }
  await new Promise((resolve) => setTimeout(resolve, 100));
}
process.send?.({ url: `redis://127.0.0.1:${port}` });
