#!/usr/bin/env node
// The `credtrail` bin: loads tsx from this repository (whatever the working directory), then the CLI.
import { register } from "tsx/esm/api";

register();
await import("./main.ts");
