import type { TestProject } from 'vitest/node';
import { ThrowawayPostgres } from './ThrowawayPostgres.js';

declare module 'vitest' {
  export interface ProvidedContext {
    postgresUrl: string;
  }
}

/** One PostgreSQL server for the whole integration run; each test file makes its own database. */
export default async function setup(project: TestProject): Promise<() => void> {
  const postgres = await ThrowawayPostgres.start();
  project.provide('postgresUrl', postgres.url);
  return () => postgres.stop();
}
