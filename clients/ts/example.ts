// Compile-time check that the generated types fit real calls; not shipped.
import { createJmkClient } from "./index";

export async function example(): Promise<number> {
  let token: string | undefined;
  const api = createJmkClient({ baseUrl: "http://localhost:8080", accessToken: () => token });
  const login = await api.POST("/api/v1/auth/login", {
    body: { email: "admin@example.com", password: "correct horse battery" },
  });
  if (!login.data) throw new Error(login.error?.detail ?? "login failed");
  token = login.data.access_token;
  const hot = await api.GET("/api/v1/leads", {
    params: { query: { category: ["hot"], sort: "probability_desc", limit: 20 } },
  });
  return hot.data?.items.length ?? 0;
}
