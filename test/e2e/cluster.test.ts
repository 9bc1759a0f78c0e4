/**
 * The browser client against a real cluster: two node processes behind HAProxy, shared
 * PostgreSQL and Redis. The node serving one person is killed (SIGKILL) while the other
 * person keeps sending: the page shows the outage, reconnects through HAProxy to the
 * surviving node, re-joins with `since`, and ends up with every message once, in order.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, test } from "node:test";
import type { Browser } from "playwright-core";
import { startCluster, type Cluster } from "../../scripts/cluster/index.js";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";
import { clusterEnv } from "../helpers/node.js";
import { CLIENT_DIST, ensureClientBuilt, launchBrowser, Person, waitUntil } from "./browser.js";

let db: TestDatabase;
let cluster: Cluster;
let browser: Browser;
const people: Person[] = [];

before(async () => {
  ensureClientBuilt();
  db = await createTestDatabase("e2ecl");
  cluster = await startCluster({
    nodes: 2,
    port: 0,
    basePort: 0,
    env: clusterEnv(db.url, `e2e-${randomBytes(4).toString("hex")}`, { LOG_LEVEL: "warn", STATIC_DIR: CLIENT_DIST, SHUTDOWN_TIMEOUT_MS: "2000" }),
  });
  await cluster.waitBalanced();
  browser = await launchBrowser();
});

after(async () => {
  for (const p of people) assert.deepEqual(p.errors, [], `${p.name}: page errors`);
  await browser?.close();
  await cluster?.stop();
  await db?.drop();
});

async function servedBy(p: Person): Promise<string> {
  return waitUntil(`${p.name}'s node`, async () => {
    const text = (await p.page.locator("footer.node-footer strong").textContent({ timeout: 1000 })) ?? "";
    return text.startsWith("node-") ? text : undefined;
  });
}

describe("browser client, cluster behind HAProxy", () => {
  test("killing the node that serves a person loses nothing and duplicates nothing", async () => {
    const alice = await Person.open(browser, "alice", cluster.url);
    const bob = await Person.open(browser, "bob", cluster.url);
    people.push(alice, bob);
    // What alice's page says on the wire (Socket.IO event frames: 42<ackId>[name, payload]).
    const aliceSent: [string, Record<string, unknown>][] = [];
    alice.page.on("websocket", (ws) =>
      ws.on("framesent", (f) => {
        const m = /^42\d*(\[.*\])$/s.exec(String(f.payload));
        if (m) aliceSent.push(JSON.parse(m[1]!));
      }),
    );
    await alice.signIn();
    await alice.join("ops");
    const aliceNode = await servedBy(alice);
    await bob.signIn();
    await bob.join("ops");
    const bobNode = await servedBy(bob);
    assert.notEqual(bobNode, aliceNode, "HAProxy (leastconn) put the two people on different nodes");

    const expected: string[] = [];
    const bobSays = async (text: string) => {
      await bob.send(text);
      expected.push(text);
      // Stored (acked) before the next one: bob's own list shows it with a seq.
      await waitUntil(`bob's "${text}" stored`, async () => (await bob.bodies()).includes(text));
    };

    for (let i = 1; i <= 3; i++) await bobSays(`before ${i}`);
    await waitUntil("alice has the first messages", async () => (await alice.bodies()).length === 3);

    // Record every connection banner the page shows from now on.
    await alice.page.evaluate(() => {
      const w = window as unknown as { banners: string[] };
      w.banners = [];
      new MutationObserver(() => {
        const b = document.querySelector(".banner");
        if (b?.textContent && w.banners[w.banners.length - 1] !== b.textContent) w.banners.push(b.textContent);
      }).observe(document.body, { subtree: true, childList: true, characterData: true });
    });

    const sentBeforeKill = aliceSent.length;
    const victim = cluster.nodes.find((n) => n.id === aliceNode)!;
    await victim.kill("SIGKILL");
    // bob keeps talking while alice's node is gone.
    for (let i = 1; i <= 10; i++) await bobSays(`during ${i}`);
    // alice writes during the outage too: pending now, sent after the reconnect.
    await alice.send("alice was away");

    // alice's page reconnects through HAProxy to the survivor...
    await waitUntil("alice on the surviving node", async () => (await servedBy(alice)) === bobNode, 30_000);
    await waitUntil("alice's message stored", async () => (await alice.bodies()).includes("alice was away"), 30_000);
    expected.push("alice was away");
    await waitUntil("bob sees alice's message", async () => (await bob.bodies()).includes("alice was away"));
    for (let i = 1; i <= 3; i++) await bobSays(`after ${i}`);

    await waitUntil(
      "alice to have every message",
      async () => (await alice.bodies()).length >= expected.length,
      30_000,
    );
    const banners = await alice.page.evaluate(() => (window as unknown as { banners: string[] }).banners);
    assert.ok(
      banners.some((b) => b.startsWith("Connection lost. Reconnecting")),
      `the page showed the outage (banners seen: ${JSON.stringify(banners)})`,
    );
    assert.equal(await alice.page.locator(".banner").count(), 0, "the banner is gone once reconnected");

    // The re-join asked only for what was missed: since = the highest contiguous seq seen (3).
    const rejoins = aliceSent.slice(sentBeforeKill).filter(([name, p]) => name === "room:join" && p.room === "ops");
    assert.deepEqual(rejoins[0]?.[1], { room: "ops", since: 3 });

    // Every message once, in order, the same list as bob's.
    const aliceBodies = await alice.bodies();
    const aliceSeqs = await alice.seqs();
    const bobBodies = await bob.bodies();
    const bobSeqs = await bob.seqs();
    // bob's "alice was away" lands wherever the server put it; compare as the server numbered it.
    assert.deepEqual(aliceSeqs, bobSeqs);
    assert.deepEqual(aliceBodies, bobBodies);
    assert.deepEqual(
      aliceSeqs,
      aliceSeqs.map((_, i) => i + 1),
      "seqs 1..N, each once",
    );
    assert.deepEqual([...aliceBodies].sort(), [...expected].sort());
    assert.deepEqual(
      aliceBodies.filter((b) => b !== "alice was away"),
      expected.filter((b) => b !== "alice was away"),
      "bob's messages in the order he sent them",
    );
    assert.equal(await alice.page.locator(".message-list li.pending, .message-list li.failed").count(), 0);
    await alice.screenshot("cluster-after-failover.png");
  });
});
