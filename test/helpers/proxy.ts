/**
 * A TCP proxy in front of PostgreSQL (or Redis) that a test can pause or cut, to make a real
 * dependency slow or unreachable without touching the shared server.
 */
import net from "node:net";

export interface Proxy {
  port: number;
  url(base: string): string;
  /** Holds traffic in both directions until resume(). */
  pause(): void;
  resume(): void;
  /** Drops every connection and refuses new ones until restore(). */
  cut(): void;
  restore(): void;
  /** New connections go to `port` from now on (a replica promoted behind the same address). */
  retarget(port: number): void;
  close(): Promise<void>;
}

export async function startProxy(targetPort: number, targetHost = "127.0.0.1"): Promise<Proxy> {
  const pairs = new Set<[net.Socket, net.Socket]>();
  let paused = false;
  let down = false;
  let target = targetPort;
  const server = net.createServer((client) => {
    if (down) return client.destroy();
    const upstream = net.connect(target, targetHost);
    const pair: [net.Socket, net.Socket] = [client, upstream];
    pairs.add(pair);
    client.pipe(upstream);
    upstream.pipe(client);
    if (paused) {
      client.pause();
      upstream.pause();
    }
    const end = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on("error", end).on("close", end);
    upstream.on("error", end).on("close", end);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    url(base) {
      const u = new URL(base);
      u.hostname = "127.0.0.1";
      u.port = String(port);
      return u.toString();
    },
    pause() {
      paused = true;
      for (const [a, b] of pairs) {
        a.pause();
        b.pause();
      }
    },
    resume() {
      paused = false;
      for (const [a, b] of pairs) {
        a.resume();
        b.resume();
      }
    },
    cut() {
      down = true;
      for (const [a, b] of pairs) {
        a.destroy();
        b.destroy();
      }
      pairs.clear();
    },
    restore() {
      down = false;
    },
    retarget(port) {
      target = port;
    },
    close: () =>
      new Promise<void>((r) => {
        for (const [a, b] of pairs) {
        a.destroy();
        b.destroy();
      }
        server.close(() => r());
      }),
  };
}
