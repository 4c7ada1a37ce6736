import { createServer } from 'node:net';

/**
 * A TCP port free on 127.0.0.1 right now (the kernel's choice for port 0), for a private server a test
 * starts. Another process may take it before the server binds; the servers started this way fail loudly
 * then, and tests start them again on another port.
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}
