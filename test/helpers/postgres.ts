/**
 * Private PostgreSQL servers (initdb + pg_ctl from the Debian package, as the postgres user
 * when we are root) on spare ports, so that tests may stop, pause or promote them without
 * touching the shared server: a primary, and a streaming replica made with pg_basebackup.
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";

export class PrivatePostgres {
  readonly dir: string;
  readonly url: string;
  private readonly bin: string;
  private readonly asRoot = process.getuid?.() === 0;

  constructor(readonly port: number) {
    const versions = fs.readdirSync("/usr/lib/postgresql").sort((a, b) => Number(b) - Number(a));
    this.bin = `/usr/lib/postgresql/${versions[0]}/bin`;
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), "chat-pg-"));
    fs.chmodSync(this.dir, 0o755);
    if (this.asRoot) execFileSync("chown", ["postgres:postgres", this.dir]);
    this.url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  }

  private get data(): string {
    return path.join(this.dir, "data");
  }

  private run(tool: string, args: string[]): void {
    const cmd = path.join(this.bin, tool);
    if (this.asRoot) execFileSync("runuser", ["-u", "postgres", "--", cmd, ...args], { stdio: "pipe" });
    else execFileSync(cmd, args, { stdio: "pipe" });
  }

  static available(): boolean {
    return fs.existsSync("/usr/lib/postgresql") && fs.readdirSync("/usr/lib/postgresql").length > 0;
  }

  init(): void {
    // initdb's pg_hba.conf trusts replication connections from 127.0.0.1 as well.
    this.run("initdb", ["-D", this.data, "-A", "trust", "-U", "postgres", "--no-sync"]);
  }

  /** Makes this server a streaming replica of `primary` (which must be running). */
  initReplicaOf(primary: PrivatePostgres): void {
    this.run("pg_basebackup", ["-h", "127.0.0.1", "-p", String(primary.port), "-U", "postgres", "-D", this.data, "-R", "-X", "stream", "--no-sync"]);
  }

  start(): void {
    this.run("pg_ctl", [
      "-D", this.data, "-l", path.join(this.dir, "log"), "-w", "-t", "30",
      "-o", `-p ${this.port} -c listen_addresses=127.0.0.1 -k ${this.dir} -c fsync=off -c max_connections=200`,
      "start",
    ]);
  }

  /** `fast`: clients are disconnected, in-flight transactions roll back. */
  stop(mode: "fast" | "immediate" = "fast"): void {
    this.run("pg_ctl", ["-D", this.data, "-m", mode, "-w", "stop"]);
  }

  /** Ends recovery on a replica: it becomes a primary that takes writes. */
  promote(): void {
    this.run("pg_ctl", ["-D", this.data, "-w", "promote"]);
  }

  /** One statement on this server's `postgres` database (a replica answers read-only ones). */
  async query<T = Record<string, unknown>>(sql: string): Promise<T[]> {
    const c = new pg.Client({ connectionString: this.url });
    await c.connect();
    try {
      return (await c.query(sql)).rows as T[];
    } finally {
      await c.end();
    }
  }

  destroy(): void {
    try {
      this.stop("immediate");
    } catch {
      // not running
    }
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
