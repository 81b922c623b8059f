/**
 * Shared helpers of the kg-data tests: fixture paths and promise-rejection capture.
 */
import { fromRoot } from '../../src/paths';

/** Absolute path of a file or folder under test/fixtures/kg. */
export function fixture(...parts: string[]): string {
  return fromRoot('test', 'fixtures', 'kg', ...parts);
}

/** Await `promise` and return the Error it rejects with; fails the test if it resolves. */
export async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected the promise to reject, but it resolved');
}
