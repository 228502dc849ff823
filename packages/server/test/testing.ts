/** Test support other workspaces use (e2e, bench): throwaway services. */
export { PostgresInstance, postgresMissing, type PostgresOptions } from "./postgres-instance.js";
export { ServiceMissingError, serviceRequired, skipUnlessCi } from "./throwaway-service.js";
export { NatsInstance, natsMissing } from "./nats-instance.js";
export {
  acceptsConnections,
  freePort,
  serviceDir,
  startGuarded,
  waitUntil,
  type GuardedProcess,
} from "./throwaway-service.js";
