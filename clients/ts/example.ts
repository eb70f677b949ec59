// Compile-time check that the generated types fit real calls; not shipped.
import { createJmkClient, importLeads, type TokenResponse } from "./index";

export async function example(): Promise<number> {
  let tokens: TokenResponse | undefined;
  const api = createJmkClient({
    baseUrl: "http://localhost:8080",
    accessToken: () => tokens?.access_token,
    // As the README shows: renew an expired access token with the refresh token.
    refresh: async () => {
      if (!tokens) return undefined;
      try {
        const { data, response } = await api.POST("/api/v1/auth/refresh", {
          body: { refresh_token: tokens.refresh_token },
          signal: AbortSignal.timeout(15_000), // a hung refresh would hold every waiting call, in every tab
        });
        if (data) tokens = data;
        else if (response.status === 401) tokens = undefined; // the session is over: log in again
        // Otherwise (a 503, or a proxy's 429 or 5xx) keep the pair: this call fails.
        return data?.access_token;
      } catch {
        return undefined; // the time limit, or no connection: keep the pair
      }
    },
  });
  const login = await api.POST("/api/v1/auth/login", {
    body: { email: "admin@example.com", password: "correct horse battery" },
  });
  if (!login.data) throw new Error(login.error?.detail ?? "login failed");
  tokens = login.data;
  const hot = await api.GET("/api/v1/leads", {
    params: { query: { category: ["hot"], sort: "probability_desc", limit: 20 } },
  });
  const csv = await api.GET("/api/v1/leads/export", { params: { query: { category: ["hot"] } }, parseAs: "text" });
  const file = new Blob(["external_id;name;age\nx-1;Rita Almeida;41\n"], { type: "text/csv" });
  const checked = await importLeads(api, file, { dry_run: true });
  return (hot.data?.items.length ?? 0) + (csv.data?.length ?? 0) + (checked.data?.rejected.length ?? 0);
}
