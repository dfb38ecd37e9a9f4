import type { TestProject } from 'vitest/node';
import { startWireServer, type RunningWireServer } from '../electron/core/db/wire-server';
import mongoose from 'mongoose';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Base URI of the test server; each suite appends its own fresh database. */
    mongoUri: string;
    mongoServer: string;
  }
}

let server: RunningWireServer | undefined;

async function describeServer(uri: string, name: string): Promise<string> {
  const conn = await mongoose.createConnection(uri, { serverSelectionTimeoutMS: 10_000 }).asPromise();
  try {
    const info = await conn.db!.admin().buildInfo();
    return `${name}, reports MongoDB ${String(info.version)}`;
  } finally {
    await conn.close();
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const external = process.env.CC_MONGO_CONNECTION_STRING?.trim();
  let uri: string;
  let name: string;
  if (external) {
    uri = external;
    name = 'external MongoDB from CC_MONGO_CONNECTION_STRING';
  } else {
    server = await startWireServer({ port: 0, watchStdin: true });
    uri = server.uri;
    name = `${server.description} on ${server.uri}`;
  }
  const description = await describeServer(uri, name);
  console.log(`\nTest database: ${description}\n`);
  project.provide('mongoUri', uri);
  project.provide('mongoServer', description);
  return async () => {
    await server?.stop();
  };
}
