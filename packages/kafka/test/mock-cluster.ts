/**
 * Starts librdkafka's mock cluster (mock-cluster/mock-cluster.c, built into .build/ on first use) as a
 * child process, with a version bridge in front of it (kafka-version-bridge.ts: @platformatic/kafka 1.x
 * and the mock of Debian's librdkafka 2.0.2 share no ApiVersions/Metadata/Fetch version). The cluster
 * keeps its data in memory: a killed process comes back empty. Brokers can be set down and up through
 * the program's stdin control channel, which drops their connections (a real connection loss).
 */
import { type ChildProcessWithoutNullStreams, spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { type KafkaVersionBridge, startKafkaVersionBridge } from './kafka-version-bridge.ts';

const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const binary = join(packageDir, '.build', 'mock-cluster');

export interface MockCluster {
  /** What clients connect to: the bridge's listeners, one per broker (broker ids 1..N in order). */
  readonly bootstrapServers: string[];
  /** The mock brokers themselves (librdkafka clients could use these directly). */
  readonly brokerAddresses: string[];
  readonly pid: number;
  createTopic(name: string, partitions: number): Promise<void>;
  /** Closes the broker's connections and refuses new ones until `brokerUp`. */
  brokerDown(id: number): Promise<void>;
  brokerUp(id: number): Promise<void>;
  /** SIGKILLs the mock cluster and stops the bridge. */
  close(): Promise<void>;
}

/** Builds .build/mock-cluster with scripts/build-mock-cluster.sh unless it exists. */
export function ensureMockClusterBuilt(): string {
  if (existsSync(binary)) return binary;
  const built = spawnSync('bash', [join(packageDir, 'scripts', 'build-mock-cluster.sh')], {
    encoding: 'utf8',
  });
  if (built.status !== 0)
    throw new Error(
      `building the mock cluster failed (needs cc and Debian's librdkafka-dev): ${built.stderr || built.error}`,
    );
  return binary;
}

export async function startMockCluster(
  options: { brokers?: number; topics?: ReadonlyArray<{ name: string; partitions: number }> } = {},
): Promise<MockCluster> {
  const args = [
    '--brokers',
    String(options.brokers ?? 1),
    ...(options.topics ?? []).map((t) => `${t.name}:${t.partitions}`),
  ];
  const child: ChildProcessWithoutNullStreams = spawn(ensureMockClusterBuilt(), args, {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const lines = createInterface({ input: child.stdout });
  const waiting: Array<(line: string) => void> = [];
  const early: string[] = [];
  lines.on('line', (line) => {
    const next = waiting.shift();
    if (next) next(line);
    else early.push(line);
  });
  const exited = new Promise<never>((_, reject) => {
    child.once('exit', (code, signal) =>
      reject(new Error(`mock cluster exited (${code ?? signal}): ${stderr}`)),
    );
    child.once('error', reject);
  });
  exited.catch(() => undefined);
  const nextLine = (): Promise<string> =>
    Promise.race([
      new Promise<string>((resolve) => {
        const line = early.shift();
        if (line !== undefined) resolve(line);
        else waiting.push(resolve);
      }),
      exited,
    ]);

  let bridge: KafkaVersionBridge | undefined;
  try {
    const brokerAddresses = (await nextLine()).split(',').map((s) => s.trim());
    bridge = await startKafkaVersionBridge(brokerAddresses);
    // Commands are answered in order, one line each.
    let queue: Promise<unknown> = Promise.resolve();
    const command = (text: string): Promise<void> => {
      const run = queue.then(async () => {
        child.stdin.write(`${text}\n`);
        const reply = await nextLine();
        if (reply !== 'ok') throw new Error(`mock cluster: ${text}: ${reply}`);
      });
      queue = run.catch(() => undefined);
      return run;
    };
    const started = bridge;
    return {
      bootstrapServers: started.bootstrapServers,
      brokerAddresses,
      pid: child.pid!,
      createTopic: (name, partitions) => command(`topic ${name} ${partitions}`),
      brokerDown: (id) => command(`down ${id}`),
      brokerUp: (id) => command(`up ${id}`),
      async close() {
        await started.close();
        if (child.exitCode === null && child.signalCode === null) {
          const gone = new Promise((resolve) => child.once('exit', resolve));
          process.kill(child.pid!, 'SIGKILL');
          await gone;
        }
      },
    };
  } catch (error) {
    await bridge?.close();
    if (child.exitCode === null) process.kill(child.pid!, 'SIGKILL');
    throw error;
  }
}
