/** A small HTTP(S) client for asserting on status and headers, with a custom CA. */
import * as http from "node:http";
import * as https from "node:https";

export interface HttpAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export function httpGet(
  url: string,
  opts: {
    username?: string;
    password?: string;
    ca?: string;
    method?: string;
    accept?: string;
  } = {},
): Promise<HttpAnswer> {
  const u = new URL(url);
  const headers: Record<string, string> = {};
  if (opts.accept !== undefined) headers.accept = opts.accept;
  if (opts.username !== undefined)
    headers.authorization = `Basic ${Buffer.from(`${opts.username}:${opts.password ?? ""}`).toString("base64")}`;
  const client = u.protocol === "https:" ? https : http;
  return new Promise((resolve, reject) => {
    const req = client.request(
      u,
      { method: opts.method ?? "GET", headers, ca: opts.ca, agent: false, timeout: 30_000 },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (c) => (body += c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on("error", reject);
    req.on("timeout", () => req.destroy(new Error(`timeout: ${url}`)));
    req.end();
  });
}
