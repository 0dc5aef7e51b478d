// The Lambda entry points the package ships prebuilt. No imports on purpose: scripts/build-lambda.ts reads
// this list without loading aws-cdk-lib, and lib/private/guard-function.ts names the bundles by it.
// Adding an entry point: one enum member and its source file below, then `npm run build`.

/** A prebuilt Lambda entry point: `assets/lambda/<value>.js`, handler `<value>.handler`. */
export enum GuardEntry {
  /** The guard's one function per token: schedule, on-demand check and Secrets Manager rotation. */
  ROUTER = 'router',
  /** Fleet mode: lists the fleet's secrets and queues a slot of the sweep (EventBridge Scheduler). */
  FLEET_PLANNER = 'fleet-planner',
  /** Fleet mode: checks queued tokens (SQS event source, partial batch failures). */
  FLEET_WORKER = 'fleet-worker',
  /** Fleet mode: the one rotation function of every fleet secret, and the on-demand check of one token. */
  FLEET_ROUTER = 'fleet-router',
}

/** The TypeScript source of each entry, relative to the package root (only the repository has it). */
export const ENTRY_SOURCES: { readonly [entry in GuardEntry]: string } = {
  [GuardEntry.ROUTER]: 'lambda/entrypoints/router.ts',
  [GuardEntry.FLEET_PLANNER]: 'lambda/entrypoints/fleet-planner.ts',
  [GuardEntry.FLEET_WORKER]: 'lambda/entrypoints/fleet-worker.ts',
  [GuardEntry.FLEET_ROUTER]: 'lambda/entrypoints/fleet-router.ts',
};
