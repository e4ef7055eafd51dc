/**
 * The status enums of IConsortium and ICreditRegistry, value for value (Severity and ActionKind
 * have their own files). Both ledgers store and emit these numbers.
 */

export const RecordStatus = { None: 0, Active: 1, Revoked: 2, Superseded: 3 } as const;
export type RecordStatus = (typeof RecordStatus)[keyof typeof RecordStatus];

export const DisputeStatus = { None: 0, Open: 1, Answered: 2, Withdrawn: 3 } as const;
export type DisputeStatus = (typeof DisputeStatus)[keyof typeof DisputeStatus];

/** Upheld: the record stands as attested. Corrected: the provider revokes or supersedes it. */
export const DisputeOutcome = { None: 0, Upheld: 1, Corrected: 2 } as const;
export type DisputeOutcome = (typeof DisputeOutcome)[keyof typeof DisputeOutcome];

export const RepairStatus = { None: 0, Requested: 1, Approved: 2, Rejected: 3 } as const;
export type RepairStatus = (typeof RepairStatus)[keyof typeof RepairStatus];

export const ProposalStatus = { None: 0, Open: 1, Executed: 2, Cancelled: 3 } as const;
export type ProposalStatus = (typeof ProposalStatus)[keyof typeof ProposalStatus];
