/** The gateway's SDL, one file per area. */
import { attestationsSdl } from "./attestations.js";
import { auditSdl } from "./audit.js";
import { commonSdl } from "./common.js";
import { disputesSdl } from "./disputes.js";
import { lineageSdl } from "./lineage.js";
import { membersSdl } from "./members.js";
import { metaSdl } from "./meta.js";
import { mutationsSdl } from "./mutations.js";
import { relaySdl } from "./relay.js";
import { scoresSdl } from "./scores.js";
import { subjectsSdl } from "./subjects.js";

export const typeDefs = [
  "type Query",
  commonSdl,
  metaSdl,
  membersSdl,
  attestationsSdl,
  disputesSdl,
  subjectsSdl,
  scoresSdl,
  lineageSdl,
  auditSdl,
  mutationsSdl,
  relaySdl,
];
