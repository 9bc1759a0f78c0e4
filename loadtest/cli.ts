/**
 * npm run loadtest -- --url http://127.0.0.1:8080 --clients 1000 --rooms 10 --senders 100 \
 *   --rate 50 --duration 30 --max-loss 0 --out report.json
 *
 * Exit code: 0 when every given threshold holds, 1 when one is exceeded, 2 on bad usage.
 * See docs/benchmarks.md.
 */
import { readFileSync, writeFileSync, mkdirSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { formatSummary } from "./report.js";
import { runLoad, type LoadOptions } from "./run.js";

const USAGE = `Usage: npm run loadtest -- [options]
  --url URL            one endpoint (a load balancer)             default http://127.0.0.1:3000
  --urls A,B,...       several nodes; clients spread round-robin
  --target chat|baseline  chat-cluster (Socket.IO) or the ws relay baseline   default chat
  --clients N          simulated users, one connection each      default 100
  --rooms N            rooms; client i joins room i % N           default 10
  --senders N          the first N clients send                  default 10
  --rate R             messages per second in total (open loop)  default 10
  --window W           closed loop instead: W sends in flight per sender
  --duration S         seconds of sending (or holding idle)      default 10
  --ramp S             seconds over which clients connect        default 2
  --settle S           longest wait after the joins for their presence fan-out  default 10
  --drain S            longest wait for in-flight deliveries     default 5
  --transport websocket|polling|mixed                            default websocket
  --client lean|socket.io  chat target's client: lean (Engine.IO over ws, about the
                       baseline client's CPU per delivery) or socket.io-client (1.3-1.4x
                       that); polling always uses socket.io-client  default lean
  --body-bytes N       message body size (>= 24)                 default 64
  --body-text T        pad | words (English words: what a full-text index costs)  default pad
  --connect-concurrency N  connections opening at once           default 200
  --request-timeout MS ack timeout                               default 10000
  --run-id ID          prefix of room and user names             default random
  --workers N          load-generator processes; each runs every N-th client  default 1
  --scenario FILE      JSON object of these options (camelCase or flag names); flags override it
  --max-loss F         fail when lost/expected deliveries > F (0 = none)
  --max-dup F          fail when duplicates/expected > F
  --max-errors N       fail when failed connects+joins+sends > N
  --out FILE           write the JSON report
  --quiet              no progress lines
`;

let parsed;
try {
  parsed = parseArgs({
    options: {
      url: { type: "string" },
      urls: { type: "string" },
      target: { type: "string" },
      clients: { type: "string" },
      rooms: { type: "string" },
      senders: { type: "string" },
      rate: { type: "string" },
      window: { type: "string" },
      duration: { type: "string" },
      ramp: { type: "string" },
      drain: { type: "string" },
      settle: { type: "string" },
      transport: { type: "string" },
      client: { type: "string" },
      "body-bytes": { type: "string" },
      "body-text": { type: "string" },
      "connect-concurrency": { type: "string" },
      "request-timeout": { type: "string" },
      "run-id": { type: "string" },
      workers: { type: "string" },
      scenario: { type: "string" },
      "max-loss": { type: "string" },
      "max-dup": { type: "string" },
      "max-errors": { type: "string" },
      out: { type: "string" },
      quiet: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
    strict: true,
  });
} catch (e) {
  process.stderr.write(`error: ${(e as Error).message}\n\n${USAGE}`);
  process.exit(2);
}
const { values } = parsed;

function usage(msg?: string): never {
  if (msg) process.stderr.write(`error: ${msg}\n\n`);
  process.stderr.write(USAGE);
  process.exit(msg ? 2 : 0);
}

if (values.help) usage();

const camel = (s: string) => s.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
const NUMERIC = new Set([
  "clients",
  "rooms",
  "senders",
  "rate",
  "window",
  "duration",
  "ramp",
  "drain",
  "settle",
  "bodyBytes",
  "connectConcurrency",
  "requestTimeout",
  "maxLoss",
  "maxDup",
  "maxErrors",
  "workers",
]);

const raw: Record<string, unknown> = {};
if (values.scenario) {
  try {
    const s = JSON.parse(readFileSync(values.scenario, "utf8")) as Record<string, unknown>;
    for (const [k, v] of Object.entries(s)) raw[camel(k)] = v;
  } catch (e) {
    usage(`cannot read scenario ${values.scenario}: ${(e as Error).message}`);
  }
}
for (const [k, v] of Object.entries(values)) {
  if (v === undefined || ["scenario", "out", "quiet", "help"].includes(k)) continue;
  raw[camel(k)] = v;
}

const opts: Partial<LoadOptions> = {};
for (const [k, v] of Object.entries(raw)) {
  if (NUMERIC.has(k)) {
    const n = Number(v);
    if (!Number.isFinite(n)) usage(`--${k} must be a number`);
    if (k === "requestTimeout") opts.requestTimeoutMs = n;
    else (opts as Record<string, unknown>)[k] = n;
  } else if (k === "url") {
    opts.urls = [String(v)];
  } else if (k === "urls") {
    opts.urls = Array.isArray(v) ? v.map(String) : String(v).split(",").filter(Boolean);
  } else if (k === "target") {
    if (v !== "chat" && v !== "baseline") usage("--target must be chat or baseline");
    opts.target = v;
  } else if (k === "transport") {
    if (v !== "websocket" && v !== "polling" && v !== "mixed") usage("--transport must be websocket, polling or mixed");
    opts.transport = v;
  } else if (k === "client") {
    if (v !== "lean" && v !== "socket.io") usage("--client must be lean or socket.io");
    opts.client = v;
  } else if (k === "bodyText") {
    if (v !== "pad" && v !== "words") usage("--body-text must be pad or words");
    opts.bodyText = v;
  } else if (k === "runId") {
    opts.runId = String(v);
  } else if (k !== "name" && k !== "description") {
    usage(`unknown option ${k}`);
  }
}
if (raw.url !== undefined && raw.urls !== undefined) usage("give --url or --urls, not both");

let report;
try {
  report = await runLoad({ ...opts, progress: !values.quiet });
} catch (e) {
  usage((e as Error).message);
}
process.stdout.write(`\n${formatSummary(report)}\n`);
if (values.out) {
  mkdirSync(path.dirname(path.resolve(values.out)), { recursive: true });
  writeFileSync(values.out, `${JSON.stringify(report, null, 2)}\n`);
  process.stdout.write(`report written to ${values.out}\n`);
}
// Sockets may keep the loop alive for a moment after close(); the report is final.
process.exit(report.passed ? 0 : 1);
