import { expect } from "chai";

import { CredtrailError } from "../../core/index.js";

/** Runs `fn`, expects a CredtrailError of `code` (and class `type`, if given), returns it. */
export function expectCode<E extends CredtrailError = CredtrailError>(
  fn: () => unknown,
  code: string,
  type?: abstract new (...args: never[]) => E,
): E {
  let thrown: unknown;
  try {
    fn();
  } catch (error) {
    thrown = error;
  }
  expect(thrown, `expected ${code} to be thrown`).to.be.instanceOf(CredtrailError);
  const error = thrown as CredtrailError;
  expect(error.code, error.message).to.equal(code);
  if (type !== undefined) expect(error).to.be.instanceOf(type);
  return error as E;
}

/** As {@link expectCode} for a promise. */
export async function expectCodeAsync(
  promise: Promise<unknown>,
  code: string,
): Promise<CredtrailError> {
  let thrown: unknown;
  try {
    await promise;
  } catch (error) {
    thrown = error;
  }
  expect(thrown, `expected ${code} to be thrown`).to.be.instanceOf(CredtrailError);
  const error = thrown as CredtrailError;
  expect(error.code, error.message).to.equal(code);
  return error;
}
