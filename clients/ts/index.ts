// Typed client for the JMK Sales API. The types come from openapi.yaml
// (generated into gen/ts/schema.d.ts by `go tool task generate`); requests and
// responses are checked by the TypeScript compiler against the contract.
import createClient, { type Middleware } from "openapi-fetch";
import type { components, paths } from "../../gen/ts/schema";

export type { components, paths };
export type Lead = components["schemas"]["Lead"];
export type User = components["schemas"]["User"];
export type Problem = components["schemas"]["Problem"];

export interface Options {
  /** Base URL of the API, e.g. "http://localhost:8080". */
  baseUrl: string;
  /** Returns the current access token, or undefined when logged out. */
  accessToken?: () => string | undefined;
}

/** Creates a client that sends the bearer token on every request. */
export function createJmkClient(opts: Options) {
  const client = createClient<paths>({ baseUrl: opts.baseUrl });
  const auth: Middleware = {
    onRequest({ request }) {
      const token = opts.accessToken?.();
      if (token) request.headers.set("Authorization", `Bearer ${token}`);
      return request;
    },
  };
  client.use(auth);
  return client;
}
