// Typed client for the JMK Sales API. The types come from openapi.yaml
// (generated into gen/ts/schema.d.ts by `go tool task generate`); requests and
// responses are checked by the TypeScript compiler against the contract.
import createClient, { type Client, type ClientOptions, type Middleware } from "openapi-fetch";
import type { components, paths } from "../../gen/ts/schema.js";

export type { Client, ClientOptions, components, Middleware, paths };
export type Schemas = components["schemas"];
export type Lead = Schemas["Lead"];
export type User = Schemas["User"];
export type Problem = Schemas["Problem"];
export type TokenResponse = Schemas["TokenResponse"];
export type JmkClient = Client<paths>;

export interface Options {
  /** Base URL of the API, e.g. "http://localhost:8080". */
  baseUrl: string;
  /** Returns the current access token, or undefined when logged out. */
  accessToken?: () => string | undefined;
  /**
   * Called when the API says the access token has expired or was revoked (a 401 with
   * `WWW-Authenticate: ... error="invalid_token"`): renew it (`POST /api/v1/auth/refresh` with the
   * refresh token, keeping the new pair) and resolve to the new access token, or to undefined to
   * give up (then the 401 is returned: log in again). Requests failing at once share one call,
   * since a refresh token is rotated on use. The failed request is sent again, once, with the new
   * token.
   */
  refresh?: () => Promise<string | undefined>;
  /** Other openapi-fetch options (a custom `fetch`, `credentials`, default headers). */
  client?: Omit<ClientOptions, "baseUrl">;
}

/** The calls that take no access token, whose 401 a refresh cannot mend. */
const tokenless = new Set(["/api/v1/auth/login", "/api/v1/auth/refresh", "/api/v1/auth/register"]);

/** Whether a 401 says that the token sent has expired or was revoked (RFC 6750). */
export function isInvalidToken(response: Response): boolean {
  return response.status === 401 && /error="invalid_token"/.test(response.headers.get("WWW-Authenticate") ?? "");
}

/** Creates a client that sends the bearer token on every request (and renews it, given `refresh`). */
export function createJmkClient(opts: Options): JmkClient {
  const client = createClient<paths>({ ...opts.client, baseUrl: opts.baseUrl });
  // Copies of the requests in flight, to send again after a refresh: fetch consumes a body.
  const copies = new Map<string, { request: Request; token: string | undefined }>();
  let renewing: Promise<string | undefined> | undefined;
  const renew = () => (renewing ??= opts.refresh!().finally(() => (renewing = undefined)));

  const auth: Middleware = {
    onRequest({ request, schemaPath, id }) {
      const token = opts.accessToken?.();
      if (token) request.headers.set("Authorization", `Bearer ${token}`);
      if (opts.refresh && !tokenless.has(schemaPath)) copies.set(id, { request: request.clone(), token });
      return request;
    },
    async onResponse({ response, id, options }) {
      const copy = copies.get(id);
      copies.delete(id);
      if (!copy || !isInvalidToken(response)) return undefined;
      // Another request may have renewed the token meanwhile: then use it without renewing again.
      const current = opts.accessToken?.();
      const token = current && current !== copy.token ? current : await renew();
      if (!token) return undefined;
      copy.request.headers.set("Authorization", `Bearer ${token}`);
      return options.fetch(copy.request);
    },
    onError({ id }) {
      copies.delete(id);
      return undefined;
    },
  };
  client.use(auth);
  return client;
}
