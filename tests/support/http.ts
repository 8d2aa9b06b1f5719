/** A small HTTP(S) client for asserting on status and headers, with a custom CA. */
import * as http from "node:http";
import * as https from "node:https";

export interface HttpAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  /** The body as bytes (for blobs). */
  bytes: Buffer;
  /** Header names and values as received, duplicates kept (name, value, name, value, ...). */
  rawHeaders: string[];
  /** False when the server closed the connection before the whole body came. */
  complete: boolean;
}

export function httpGet(
  url: string,
  opts: {
    username?: string;
    password?: string;
    ca?: string;
    method?: string;
    accept?: string;
    /** More request headers, e.g. Range. */
    headers?: Record<string, string>;
  } = {},
): Promise<HttpAnswer> {
  const u = new URL(url);
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.accept !== undefined) headers.accept = opts.accept;
  if (opts.username !== undefined)
    headers.authorization = `Basic ${Buffer.from(`${opts.username}:${opts.password ?? ""}`).toString("base64")}`;
  const client = u.protocol === "https:" ? https : http;
  return new Promise((resolve, reject) => {
    const req = client.request(
      u,
      { method: opts.method ?? "GET", headers, ca: opts.ca, agent: false, timeout: 30_000 },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        // "close" comes after "end", or alone when the body was cut short.
        res.on("close", () => {
          const bytes = Buffer.concat(chunks);
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: bytes.toString("utf8"),
            bytes,
            rawHeaders: res.rawHeaders,
            complete: res.complete,
          });
        });
      },
    );
    req.on("error", reject);
    req.on("timeout", () => req.destroy(new Error(`timeout: ${url}`)));
    req.end();
  });
}
