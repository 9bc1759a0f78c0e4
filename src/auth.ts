/**
 * Identity at the handshake. Open mode trusts `auth.username` (or none, for the template's
 * events); jwt mode verifies `auth.token` with jose and takes `sub` as the username, and
 * the token's `exp` as the session's end (realtime/sessions.ts).
 */
import { createPublicKey, type KeyObject } from "node:crypto";
import { createRemoteJWKSet, jwtVerify, type JWTVerifyGetKey } from "jose";
import type { AuthConfig } from "./config.js";
import { USERNAME_PATTERN } from "./shared/protocol.js";

export class AuthError extends Error {
  constructor(readonly reason: "unauthorized" | "invalid_username") {
    super(reason);
  }
}

/** Who a credential names, and until when (epoch ms; undefined: no end, open mode or no `exp`). */
export interface Identity {
  user: string;
  expiresAt?: number;
}

export interface Authenticator {
  readonly mode: "open" | "jwt";
  /** The identity, or undefined for an anonymous (legacy-only) open-mode connection. */
  fromHandshake(auth: unknown): Promise<Identity | undefined>;
  /** A fresh token sent on a live socket (`auth:refresh`), verified as at the handshake. */
  verifyToken(token: unknown): Promise<Identity>;
  /** The user named by an HTTP request: Bearer token (jwt) or `?username=` (open). */
  fromHttp(authorization: string | undefined, username: unknown): Promise<string | undefined>;
}

export function createAuthenticator(cfg: AuthConfig): Authenticator {
  if (cfg.mode === "open") {
    const check = (u: unknown) => {
      if (u === undefined || u === null) return undefined;
      if (typeof u !== "string" || !USERNAME_PATTERN.test(u)) throw new AuthError("invalid_username");
      return u;
    };
    return {
      mode: "open",
      fromHandshake: async (auth) => {
        const user = check(isObject(auth) ? auth.username : undefined);
        return user === undefined ? undefined : { user };
      },
      verifyToken: async () => {
        throw new AuthError("unauthorized");
      },
      fromHttp: async (_authorization, username) => check(username),
    };
  }
  const verify = jwtVerifier(cfg);
  return {
    mode: "jwt",
    fromHandshake: async (auth) => verify(isObject(auth) ? auth.token : undefined),
    verifyToken: verify,
    fromHttp: async (authorization) => {
      const m = /^Bearer\s+(\S+)$/i.exec(authorization ?? "");
      return m ? (await verify(m[1])).user : undefined;
    },
  };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null;
}

function jwtVerifier(cfg: Extract<AuthConfig, { mode: "jwt" }>): (token: unknown) => Promise<Identity> {
  let key: Uint8Array | KeyObject | JWTVerifyGetKey;
  let algorithms: string[];
  if (cfg.secret) {
    key = new TextEncoder().encode(cfg.secret);
    algorithms = ["HS256"];
  } else if (cfg.publicKey) {
    const k = createPublicKey(cfg.publicKey);
    key = k;
    // Only the algorithm family of the configured key: no HS/RS confusion.
    algorithms = k.asymmetricKeyType === "ec" ? ["ES256"] : ["RS256"];
  } else {
    key = createRemoteJWKSet(new URL(cfg.jwksUrl!));
    algorithms = ["RS256", "ES256"];
  }
  // Without `exp` a token would open sessions that never end (JWT_REQUIRE_EXP).
  const requiredClaims = cfg.requireExp ? ["sub", "exp"] : ["sub"];
  const options = { algorithms, issuer: cfg.issuer, audience: cfg.audience, requiredClaims };
  return async function verify(token: unknown): Promise<Identity> {
    if (typeof token !== "string" || token.length === 0 || token.length > 8192) throw new AuthError("unauthorized");
    try {
      const { payload } = await jwtVerify(token, key as Uint8Array, options);
      if (typeof payload.sub !== "string" || !USERNAME_PATTERN.test(payload.sub)) throw new AuthError("unauthorized");
      return { user: payload.sub, expiresAt: typeof payload.exp === "number" ? payload.exp * 1000 : undefined };
    } catch {
      throw new AuthError("unauthorized");
    }
  };
}

/**
 * Open mode believes whatever name a client gives: fine on a laptop, not on an address
 * others can reach. The warning for the address the server listens on, if it needs one.
 */
export function openModeWarning(mode: AuthConfig["mode"], address: string): string | undefined {
  const loopback = address === "::1" || /^(::ffff:)?127\./.test(address);
  if (mode !== "open" || loopback) return undefined;
  return (
    "AUTH_MODE=open on a non-loopback address: anyone who can reach this port can be anyone; " +
    "use AUTH_MODE=jwt, or HOST=127.0.0.1 for a laptop"
  );
}
