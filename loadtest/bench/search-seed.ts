/**
 * Stored messages of real words, written by PostgreSQL itself (INSERT ... SELECT over
 * generate_series), not through the socket: a million messages in minutes. Shared by the
 * search bench and the search tests; works on PostgreSQL (pg) and PGlite alike.
 */

/**
 * Common words of English chat, most frequent first. Each word of a body is drawn by Zipf's
 * law, as in real text: rank k with probability about 1/(k·H), rank = floor((n+1)^u) for u
 * uniform, so "the" is in most messages and the last words in about one in a hundred.
 */
export const VOCABULARY = (
  "the to i a and you it is that of in we for on this be have so just not can will my but with are " +
  "at do what if me was all get it's no your they up know about like there one now think out should " +
  "good need see then going some time make how would could here today well when yes more want new " +
  "work team build test fix bug meeting call review deploy staging release plan message chat search room " +
  "tomorrow morning afternoon lunch coffee thanks please sorry great sure maybe later again already " +
  "because before after still really right first last next week month year people customer support " +
  "issue ticket feature design server client database cache queue error problem change update version " +
  "branch merge commit push pull request approve comment question answer idea document write read " +
  "share link file image video screen laptop phone network login password account email notification " +
  "dashboard report number total price order payment invoice contract budget schedule deadline project " +
  "private public secret important urgent quick simple easy hard long short small large early late " +
  "happy weekend holiday travel office remote home kitchen garden weather summer winter spring autumn " +
  "monday tuesday wednesday thursday friday birthday party dinner movie music guitar football tennis " +
  "mountain river ocean forest island bridge castle library museum theatre orchestra telescope volcano"
).split(" ");

export interface SeedOptions {
  /** Room names to fill, round-robin: new rooms, or rooms without messages (seq starts at 1). */
  rooms: string[];
  messages: number;
  /**
   * How words are drawn: by Zipf's law (the default), or with rank n·u² ("flat": even the
   * rarest word in 2 % of messages, so the planner expects any word to match often).
   */
  draw?: "zipf" | "flat";
  /** Rows per INSERT statement (each its own transaction). */
  chunk?: number;
  progress?: (done: number) => void;
}

/** Inserts `messages` messages of 6 to 15 words over `rooms`, then ANALYZEs, as a live table would be. */
export async function seedMessages(db: { query(sql: string, params?: unknown[]): Promise<unknown> }, o: SeedOptions): Promise<void> {
  const chunk = o.chunk ?? 100_000;
  await db.query("INSERT INTO rooms (name) SELECT unnest($1::text[]) ON CONFLICT DO NOTHING", [o.rooms]);
  for (let from = 0; from < o.messages; from += chunk) {
    const to = Math.min(o.messages, from + chunk);
    // g drives the subquery so that each row draws its own words (an uncorrelated one runs once).
    await db.query(
      `INSERT INTO messages (room, seq, user_name, body, client_id)
       SELECT ($1::text[])[1 + g % cardinality($1::text[])],
              g / cardinality($1::text[]) + 1,
              'seed' || (g % 97),
              (SELECT string_agg(($2::text[])[CASE WHEN $5::boolean THEN floor(exp(random() * ln(cardinality($2::text[]) + 1)))::int
                                                   ELSE 1 + floor(power(random(), 2) * cardinality($2::text[]))::int END], ' ')
                 FROM generate_series(1, 6 + (g / cardinality($1::text[]) * 7) % 10) AS w),
              'seed-' || g
         FROM generate_series($3::int, $4::int - 1) AS g`,
      [o.rooms, VOCABULARY, from, to, (o.draw ?? "zipf") === "zipf"],
    );
    o.progress?.(to);
  }
  await db.query(
    "UPDATE rooms SET last_seq = (SELECT max(seq) FROM messages WHERE room = name), last_message_at = now() WHERE name = ANY ($1::text[])",
    [o.rooms],
  );
  await db.query("ANALYZE messages");
}
