// Every rule of the pack, as plain data and pure functions: tests and the whole-stack evaluator
// import this module without starting the pack's gRPC server (index.ts does that).

import { companionRules } from "./companions";
import { ecrRules } from "./ecr";
import { promotionRules } from "./promotion";
import { podSecurityStandardsRules } from "./pss";
import type { Rule } from "./rule";
import { workloadRules } from "./workload";

/** All rules of the go-services policy pack, in the order the pack reports them. */
export const rules: readonly Rule[] = [...podSecurityStandardsRules, ...workloadRules, ...promotionRules, ...ecrRules, ...companionRules];
