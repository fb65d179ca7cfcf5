/**
 * `npm run registry`: starts a local Apicurio Registry (Confluent API, in-memory storage),
 * prints one line `REGISTRY <url>` once it answers, and stops on EOF on stdin, SIGTERM or
 * SIGINT. Tests and people use this same contract (`schemaRegistry.url: <url>`).
 */
import { RegistryServer } from './registry-server.ts';

async function main(): Promise<void> {
  const server = await RegistryServer.start((line) => console.error(line));
  console.log(`REGISTRY ${server.url}`);
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await server.stop();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop());
  process.on('SIGINT', () => void stop());
  process.stdin.on('end', () => void stop());
  process.stdin.resume();
}

main().catch((error: unknown) => {
  console.error(`registry: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
