import { KcrError } from '../../src/errors.js';

/** The KcrError `fn` throws; rethrows any other error and fails when nothing is thrown. */
export function thrownKcrError(fn: () => unknown): KcrError {
  try {
    fn();
  } catch (err) {
    if (err instanceof KcrError) return err;
    throw err;
  }
  throw new Error('expected a KcrError, nothing was thrown');
}

export const kcrCode = (fn: () => unknown): string => thrownKcrError(fn).code;
export const kcrMessage = (fn: () => unknown): string => thrownKcrError(fn).message;

/** The KcrError `promise` rejects with; rethrows any other error and fails when it resolves. */
export async function rejectedKcrError(promise: Promise<unknown>): Promise<KcrError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof KcrError) return err;
    throw err;
  }
  throw new Error('expected a KcrError, the promise resolved');
}
