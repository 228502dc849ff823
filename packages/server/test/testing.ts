/** Test support other workspaces use (e2e, bench): throwaway services. */
export { PostgresInstance, postgresMissing, type PostgresOptions } from "./postgres-instance.js";
export { ServiceMissingError, serviceRequired, skipUnlessCi } from "./throwaway-service.js";
