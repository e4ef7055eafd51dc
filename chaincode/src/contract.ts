/**
 * What both contracts share: one {@link Tx} per transaction (CredtrailContext), its one chaincode
 * event set after the transaction body, and errors in the chaincode's `<ErrorName> <args>` form
 * (a core validation error that slips through argument parsing becomes `InvalidArgument`).
 */
import { CredtrailError } from "../../core/index.js";
import { Contract } from "fabric-contract-api";

import { ChaincodeError } from "./errors.js";
import { CredtrailContext } from "./tx.js";

type TransactionFunction = Parameters<Contract["aroundTransaction"]>[1];

export abstract class CredtrailContract extends Contract {
  override createContext(): CredtrailContext {
    return new CredtrailContext();
  }

  override async aroundTransaction(
    ctx: CredtrailContext,
    fn: TransactionFunction,
    parameters: unknown,
  ): Promise<void> {
    try {
      // eslint-disable-next-line @typescript-eslint/no-confusing-void-expression -- typed void by fabric-contract-api, it returns the transaction's result, which must pass through
      return await super.aroundTransaction(ctx, fn, parameters);
    } catch (error) {
      if (error instanceof CredtrailError) {
        throw new ChaincodeError("InvalidArgument", {
          argument: "",
          code: error.code,
          reason: error.message,
        });
      }
      throw error;
    }
  }

  override afterTransaction(ctx: CredtrailContext): Promise<void> {
    ctx.tx.flushEvents();
    return Promise.resolve();
  }
}
