/**
 * Stable codes of the LedgerErrors ledger adapters raise (core's LedgerError, `code` set to one of
 * these). Ledger-neutral: the Fabric adapter raises the same codes for the same situations.
 */
export const LedgerErrorCode = {
  /** The contract (or chaincode) rejected the operation; details name the error and its arguments. */
  REVERTED: "LEDGER_REVERTED",
  /** The node could not be reached, timed out, or answered with an error that persisted after retries. */
  UNAVAILABLE: "LEDGER_UNAVAILABLE",
  /** The node refused a submission (nonce, funds, fee, malformed transaction). */
  REJECTED: "LEDGER_REJECTED",
  /** The node's answers contradict each other or are truncated (missing logs or blocks, wrong hashes). */
  INCONSISTENT_RESPONSE: "LEDGER_INCONSISTENT_RESPONSE",
  /** A log from one of our contracts that does not decode as one of our events. */
  DECODE_FAILED: "LEDGER_DECODE_FAILED",
  /** A reorg reaches below every block the consumer still knows: no common ancestor can be found. */
  REORG_TOO_DEEP: "LEDGER_REORG_TOO_DEEP",
  /** The ledger is not what the adapter was configured for (wrong chain, no contract at an address). */
  MISCONFIGURED: "LEDGER_MISCONFIGURED",
} as const;

export type LedgerErrorCode = (typeof LedgerErrorCode)[keyof typeof LedgerErrorCode];
