// The go-services CrossGuard policy pack. Run it with `pulumi preview --policy-pack policy` from
// the repository root; the rules themselves live in rules.ts.

import { PolicyPack } from "@pulumi/policy";
import { toPolicy } from "./crossguard";
import { rules } from "./rules";

new PolicyPack("go-services", {
    description: "Pod Security Standards (restricted), kube-score hygiene and ECR hardening for go-services stacks.",
    policies: rules.map(toPolicy),
});
