/**
 * scripts/test-setup.sh, which `npm test` runs first: on a machine without what the suite
 * needs, a new user gets one message naming all of it and how to get it, not a dozen
 * failed tests. Check mode only: nothing is installed or removed; a missing program is
 * simulated with a PATH that lacks it, a missing service with a URL where nothing listens.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { freePorts } from "../../scripts/cluster/index.js";

const REPO = path.resolve(import.meta.dirname, "../..");

function check(env: Record<string, string | undefined>) {
  const r = spawnSync("bash", ["scripts/test-setup.sh", "--check"], { cwd: REPO, env: { ...process.env, ...env }, encoding: "utf8" });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A PATH directory with every program of the current PATH except `without`. */
let bin: string;
const without = ["haproxy", "kubectl"];
before(() => {
  bin = fs.mkdtempSync(path.join(os.tmpdir(), "chat-path-"));
  for (const dir of (process.env.PATH ?? "").split(path.delimiter)) {
    let names: string[];
    try {
      names = fs.readdirSync(dir);
    } catch {
      continue;
    }
    for (const name of names) {
      const link = path.join(bin, name);
      if (!without.includes(name) && !fs.existsSync(link)) fs.symlinkSync(path.join(dir, name), link);
    }
  }
});
after(() => fs.rmSync(bin, { recursive: true, force: true }));

test("on this machine (npm test set it up) the check passes silently", () => {
  const r = check({});
  assert.deepEqual(r, { code: 0, stdout: "", stderr: "" });
});

test("programs missing from PATH: one message names them and the packages to install", () => {
  const r = check({ PATH: bin });
  assert.equal(r.code, 1, r.stderr);
  assert.equal(r.stdout, "");
  const lines = r.stderr.trimEnd().split("\n");
  assert.equal(lines[0], "npm test cannot run: missing haproxy, kubectl.", r.stderr);
  assert.match(r.stderr, /^ {4}sudo apt-get install -y haproxy kubernetes-client$/m);
  assert.match(r.stderr, /Run as root on Debian or Ubuntu, npm test installs and starts these itself\./);
  assert.equal(r.stderr.match(/npm test cannot run/g)?.length, 1, "one message");
});

test("a service that does not answer is named with its URL", async () => {
  const [port] = await freePorts(1); // nothing listens there
  const r = check({ TEST_REDIS_URL: `redis://127.0.0.1:${port}`, CHROMIUM_PATH: "/nonexistent/chromium" });
  assert.equal(r.code, 1, r.stderr);
  assert.equal(
    r.stderr.split("\n")[0],
    `npm test cannot run: missing chromium (/nonexistent/chromium), Redis at redis://127.0.0.1:${port} (not answering).`,
  );
  assert.match(r.stderr, /sudo apt-get install -y chromium$/m);
  // Not the local default: the script does not offer to start someone else's Redis.
  assert.doesNotMatch(r.stderr, /redis-server --daemonize/);
  assert.match(r.stderr, /TEST_PG_ADMIN_URL \/ TEST_REDIS_URL name the PostgreSQL \/ Redis the tests use/);
});
