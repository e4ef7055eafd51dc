/**
 * The receipts file of a submission: an append-only NDJSON log, so an interrupted run resumes
 * where it stopped without sending anything twice. Lines:
 *
 *   {"type":"header","format":"credtrail.receipts/1","file","fileHash","schema","schemaId","provider","mode","observedAt"}
 *   {"type":"anchored","root","count","txHash","blockNumber"}            (batch mode)
 *   {"type":"uploaded","root","count"}                                    (batch mode)
 *   {"type":"row","line","uid","txHash"?,"blockNumber"?,"root"?,"leafIndex"?,"proof"?}
 *   {"type":"contents","stored","alreadyStored"}                         (contents sent to the node)
 *
 * A torn last line (a crash mid-write) is ignored.
 */
import { appendFileSync, existsSync, readFileSync } from "node:fs";

export const RECEIPTS_FORMAT = "credtrail.receipts/1";

export interface ReceiptsHeader {
  type: "header";
  format: typeof RECEIPTS_FORMAT;
  file: string;
  fileHash: string;
  schema: string;
  schemaId: string;
  provider: string;
  mode: "single" | "batch";
  observedAt: string;
}

export interface AnchoredEntry {
  type: "anchored";
  root: string;
  count: number;
  txHash: string;
  blockNumber: string;
}

export interface RowReceipt {
  type: "row";
  line: number;
  uid: string;
  txHash?: string;
  blockNumber?: string;
  root?: string;
  leafIndex?: number;
  proof?: string[];
  /** Found on the ledger already when resuming (the earlier run's send went through). */
  already?: boolean;
}

export type ReceiptEntry =
  | ReceiptsHeader
  | AnchoredEntry
  | { type: "uploaded"; root: string; count: number }
  | ContentsEntry
  | RowReceipt;

export interface ContentsEntry {
  type: "contents";
  stored: number;
  alreadyStored: number;
}

export interface ReceiptsState {
  header?: ReceiptsHeader;
  anchored?: AnchoredEntry;
  uploaded: boolean;
  contents?: { stored: number; alreadyStored: number };
  rows: Map<number, RowReceipt>;
}

export function loadReceipts(path: string): ReceiptsState {
  const state: ReceiptsState = { uploaded: false, rows: new Map() };
  if (!existsSync(path)) return state;
  for (const line of readFileSync(path, "utf8").split("\n")) {
    if (line.trim() === "") continue;
    let entry: ReceiptEntry;
    try {
      entry = JSON.parse(line) as ReceiptEntry;
    } catch {
      continue;
    }
    if (entry.type === "header") state.header = entry;
    else if (entry.type === "anchored") state.anchored = entry;
    else if (entry.type === "uploaded") state.uploaded = true;
    else if (entry.type === "row") state.rows.set(entry.line, entry);
    else if (entry.type === "contents")
      state.contents = { stored: entry.stored, alreadyStored: entry.alreadyStored };
  }
  return state;
}

export function appendReceipts(path: string, entries: readonly ReceiptEntry[]): void {
  if (entries.length === 0) return;
  appendFileSync(path, entries.map((e) => `${JSON.stringify(e)}\n`).join(""), { mode: 0o600 });
}
