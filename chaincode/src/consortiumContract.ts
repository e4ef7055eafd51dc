/**
 * Consortium: members, keys, accreditation scopes, schemas, models and M-of-N governance, with the
 * rules and events of contracts/Consortium.sol. `bootstrap` plays the constructor's part: it admits
 * the founding members once, and only a founder's identity may call it.
 */
import type { Hex } from "../../core/index.js";
import {
  ACTION_KIND_NAMES,
  categoryId,
  isParameterName,
  memberId,
  PARAMETER_DEFAULTS,
  PARAMETER_KEYS,
  PARAMETER_NAMES,
  parameterName,
  ProposalStatus,
  Role,
  ZERO_BYTES32,
} from "../../core/index.js";
import { keccak256, toUtf8Bytes } from "ethers";
import { Info, Returns, Transaction } from "fabric-contract-api";

import {
  addressArg,
  arrayArg,
  bytes32Arg,
  bytesArg,
  field,
  objectArg,
  smallUintArg,
  stringArg,
  uint64Arg,
} from "./args.js";
import { fabricRegistryDomain } from "./domain.js";
import { fail, invalidArgument } from "./errors.js";
import {
  approveProposal,
  createProposal,
  executeProposal,
  openProposal,
  ProposalKeys,
  revokeKey,
  setParameter,
  setScope,
  setThreshold,
  admit,
} from "./governance.js";
import { stableJson } from "./json.js";
import type { ConsortiumConfig } from "./membership.js";
import {
  authorize,
  callerActor,
  findSchema,
  Keys,
  loadConfig,
  requiredApprovals,
  saveConfig,
  scopeOf,
} from "./membership.js";
import { CredtrailContract } from "./contract.js";
// a value import: the decorator metadata names the context class of every transaction
import { CredtrailContext } from "./tx.js";

interface Founder {
  id: Hex;
  name: string;
  roles: number;
  keys: string[];
  categories: Hex[];
  scopeExpiresAt: bigint;
}

function parseFounder(value: unknown, i: number): Founder {
  const f = objectArg(value, `founders[${i}]`);
  const name = stringArg(field(f, "name"), `founders[${i}].name`);
  // an empty name is ConsortiumInvalidMember at admission, as on the EVM
  const given = field(f, "id");
  const id =
    given !== undefined
      ? bytes32Arg(given, `founders[${i}].id`)
      : name === ""
        ? ZERO_BYTES32
        : memberId(name);
  return {
    id,
    name,
    roles: smallUintArg(field(f, "roles"), 8, `founders[${i}].roles`),
    keys: arrayArg(field(f, "keys"), `founders[${i}].keys`).map((k, j) =>
      addressArg(k, `founders[${i}].keys[${j}]`),
    ),
    categories: arrayArg(field(f, "categories") ?? [], `founders[${i}].categories`).map((c, j) =>
      bytes32Arg(c, `founders[${i}].categories[${j}]`),
    ),
    scopeExpiresAt: uint64Arg(field(f, "scopeExpiresAt") ?? 0, `founders[${i}].scopeExpiresAt`),
  };
}

@Info({ title: "Consortium", description: "credtrail membership and governance" })
export class ConsortiumContract extends CredtrailContract {
  constructor() {
    super("Consortium");
  }

  // ----------------------------------------------------------------------------------------------
  // Bootstrap (the constructor of Consortium.sol)
  // ----------------------------------------------------------------------------------------------

  /**
   * Admits the founding members and sets the defaults, once. `config` is JSON:
   * `{"chaincodeName","threshold","founders":[{"name","id"?,"roles","keys":[address],
   * "categories":[bytes32],"scopeExpiresAt"}]}`; the caller's key must be one of the founders' keys.
   */
  @Transaction()
  async bootstrap(ctx: CredtrailContext, config: string): Promise<void> {
    const tx = ctx.tx;
    if ((await tx.get<ConsortiumConfig>(Keys.config(tx))) !== undefined) {
      fail("ConsortiumAlreadyInitialized");
    }
    const input = objectArg(config, "config");
    const chaincodeName = stringArg(field(input, "chaincodeName"), "chaincodeName");
    if (chaincodeName === "") invalidArgument("chaincodeName", "must not be empty");
    const threshold = smallUintArg(field(input, "threshold"), 32, "threshold");
    const founders = arrayArg(field(input, "founders"), "founders").map(parseFounder);
    if (founders.length === 0) fail("ConsortiumNoFounders");
    const caller = tx.caller.address;
    if (!founders.some((f) => f.keys.includes(caller)))
      fail("ConsortiumNotFounder", { key: caller });
    await saveConfig(tx, {
      memberCount: 0,
      activeMembers: 0,
      schemaCount: 0,
      threshold: 0,
      proposalCount: "0",
      chaincodeName,
    });
    for (const f of founders) {
      await admit(tx, f.id, f.name, f.roles, f.keys);
      for (const category of f.categories) await setScope(tx, f.id, category, f.scopeExpiresAt);
    }
    await setThreshold(tx, threshold);
    for (const name of PARAMETER_NAMES) await setParameter(tx, name, PARAMETER_DEFAULTS[name]);
  }

  // ----------------------------------------------------------------------------------------------
  // Governance
  // ----------------------------------------------------------------------------------------------

  /** Proposes an action (IConsortium.ActionKind, ABI payload); returns the proposal id. */
  @Transaction()
  @Returns("string")
  async propose(ctx: CredtrailContext, kind: string, payload: string): Promise<string> {
    const tx = ctx.tx;
    const actor = await callerActor(tx);
    const id = await createProposal(
      tx,
      actor.member,
      smallUintArg(kind, 8, "kind"),
      bytesArg(payload, "payload"),
    );
    return id.toString();
  }

  @Transaction()
  async approve(ctx: CredtrailContext, proposalId: string): Promise<void> {
    const tx = ctx.tx;
    const actor = await callerActor(tx);
    await approveProposal(tx, uint64Arg(proposalId, "proposalId"), actor.member);
  }

  /** Executes an open proposal that already has enough approvals. */
  @Transaction()
  async execute(ctx: CredtrailContext, proposalId: string): Promise<void> {
    const tx = ctx.tx;
    await callerActor(tx);
    const id = uint64Arg(proposalId, "proposalId");
    const p = await openProposal(tx, id);
    const required = requiredApprovals(await loadConfig(tx));
    if (p.approvals < required) {
      fail("ConsortiumNotEnoughApprovals", { proposalId: id, approvals: p.approvals, required });
    }
    await executeProposal(tx, id);
  }

  @Transaction()
  async cancel(ctx: CredtrailContext, proposalId: string): Promise<void> {
    const tx = ctx.tx;
    const actor = await callerActor(tx);
    const id = uint64Arg(proposalId, "proposalId");
    const p = await openProposal(tx, id);
    if (p.proposer !== actor.member.id) {
      fail("ConsortiumNotProposer", { proposalId: id, member: actor.member.id });
    }
    await tx.put(ProposalKeys.proposal(tx, id), { ...p, status: ProposalStatus.Cancelled });
    tx.emit({ kind: "ProposalCancelled", proposalId: id });
  }

  // ----------------------------------------------------------------------------------------------
  // Member self-service, schemas, models
  // ----------------------------------------------------------------------------------------------

  /** A member revokes one of its own keys (not its last). */
  @Transaction()
  async revokeOwnKey(ctx: CredtrailContext, key: string): Promise<void> {
    const tx = ctx.tx;
    const actor = await callerActor(tx);
    await revokeKey(tx, actor.member.id, addressArg(key, "key"));
  }

  /** An OPERATOR registers a schema: its id is keccak256 of the definition; returns the id. */
  @Transaction()
  @Returns("string")
  async registerSchema(
    ctx: CredtrailContext,
    categoryName: string,
    definition: string,
  ): Promise<string> {
    const tx = ctx.tx;
    const actor = await authorize(tx, Role.OPERATOR);
    const schema = keccak256(toUtf8Bytes(definition)) as Hex;
    if (categoryName.length === 0 || definition.length === 0) {
      fail("ConsortiumInvalidSchema", { schema });
    }
    if ((await findSchema(tx, schema)) !== undefined) fail("ConsortiumSchemaExists", { schema });
    const category = categoryId(categoryName);
    const config = await loadConfig(tx);
    const index = config.schemaCount + 1;
    await tx.put(Keys.schema(tx, schema), {
      schema,
      index,
      category,
      categoryName,
      definition,
      registrant: actor.member.id,
    });
    await saveConfig(tx, { ...config, schemaCount: index });
    tx.emit({
      kind: "SchemaRegistered",
      schema,
      category,
      index,
      categoryName,
      definition,
      registrant: actor.member.id,
    });
    return schema;
  }

  /** A SCORER registers a scoring model by its hash. */
  @Transaction()
  async registerModel(ctx: CredtrailContext, modelHash: string, uri: string): Promise<void> {
    const tx = ctx.tx;
    const actor = await authorize(tx, Role.SCORER);
    const hash = bytes32Arg(modelHash, "modelHash");
    if (hash === ZERO_BYTES32) fail("ConsortiumInvalidModel", { modelHash: hash });
    if ((await tx.get(Keys.model(tx, hash))) !== undefined) {
      fail("ConsortiumModelExists", { modelHash: hash });
    }
    await tx.put(Keys.model(tx, hash), { modelHash: hash, scorer: actor.member.id, uri });
    tx.emit({ kind: "ModelRegistered", modelHash: hash, scorer: actor.member.id, uri });
  }

  // ----------------------------------------------------------------------------------------------
  // Reads (JSON; bigints as decimal strings; "null" when absent)
  // ----------------------------------------------------------------------------------------------

  /** The caller's key address, MSP and id: what governance admits as a key. */
  @Transaction(false)
  @Returns("string")
  async whoAmI(ctx: CredtrailContext): Promise<string> {
    const { address, mspId, id } = ctx.tx.caller;
    return Promise.resolve(stableJson({ address, mspId, id }));
  }

  @Transaction(false)
  @Returns("string")
  async member(ctx: CredtrailContext, id: string): Promise<string> {
    return ctx.tx.json(Keys.member(ctx.tx, bytes32Arg(id, "id")));
  }

  @Transaction(false)
  @Returns("string")
  async keyOf(ctx: CredtrailContext, key: string): Promise<string> {
    return ctx.tx.json(Keys.key(ctx.tx, addressArg(key, "key")));
  }

  @Transaction(false)
  @Returns("string")
  async scope(ctx: CredtrailContext, member: string, category: string): Promise<string> {
    const tx = ctx.tx;
    const value = await scopeOf(tx, bytes32Arg(member, "member"), bytes32Arg(category, "category"));
    return value.toString();
  }

  @Transaction(false)
  @Returns("string")
  async parameter(ctx: CredtrailContext, name: string): Promise<string> {
    const tx = ctx.tx;
    let key: Hex;
    try {
      key = PARAMETER_KEYS[isParameterName(name) ? name : parameterName(name)];
    } catch {
      return fail("ConsortiumUnknownParameter", { name });
    }
    return (await tx.get<string>(Keys.parameter(tx, key))) ?? "0";
  }

  @Transaction(false)
  @Returns("string")
  async schema(ctx: CredtrailContext, schema: string): Promise<string> {
    return ctx.tx.json(Keys.schema(ctx.tx, bytes32Arg(schema, "schema")));
  }

  @Transaction(false)
  @Returns("string")
  async model(ctx: CredtrailContext, modelHash: string): Promise<string> {
    const tx = ctx.tx;
    return tx.json(Keys.model(tx, bytes32Arg(modelHash, "modelHash")));
  }

  @Transaction(false)
  @Returns("string")
  async proposal(ctx: CredtrailContext, proposalId: string): Promise<string> {
    return ctx.tx.json(ProposalKeys.proposal(ctx.tx, uint64Arg(proposalId, "proposalId")));
  }

  @Transaction(false)
  @Returns("string")
  async hasApproved(ctx: CredtrailContext, proposalId: string, member: string): Promise<string> {
    const tx = ctx.tx;
    const id = uint64Arg(proposalId, "proposalId");
    const approved = await tx.has(ProposalKeys.approval(tx, id, bytes32Arg(member, "member")));
    return approved.toString();
  }

  /** threshold, activeMembers, requiredApprovals, counters and the EIP-712 domain. */
  @Transaction(false)
  @Returns("string")
  async info(ctx: CredtrailContext): Promise<string> {
    const tx = ctx.tx;
    const config = await loadConfig(tx);
    const domain = fabricRegistryDomain(tx.channel, config.chaincodeName);
    return stableJson({
      ...config,
      requiredApprovals: requiredApprovals(config),
      actionKinds: ACTION_KIND_NAMES,
      domain: { ...domain, chainId: domain.chainId.toString() },
    });
  }
}
