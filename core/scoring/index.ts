/** The transparent credit scorecard: model documents, features, scores and score-batch leaves. */
export * from "./defaultModel.js";
export * from "./features.js";
export * from "./leaf.js";
export * from "./model.js";
export * from "./score.js";
export * from "./verify.js";
