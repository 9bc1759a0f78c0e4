/**
 * `:shortcode:` emoji: a compact table of common shortcodes (the names most chat apps
 * share), the composer's picker, and its `:` autocomplete. Shortcodes are converted when a
 * message is shown, so the body on the wire stays what was typed.
 */

/** Shortcode (without colons) → emoji. Kept small on purpose: the everyday few hundred. */
const TABLE: Record<string, string> = {
  // faces
  smile: "😄", smiley: "😃", grin: "😁", grinning: "😀", laughing: "😆", satisfied: "😆", sweat_smile: "😅",
  joy: "😂", rofl: "🤣", slightly_smiling_face: "🙂", upside_down_face: "🙃", wink: "😉", blush: "😊",
  innocent: "😇", heart_eyes: "😍", star_struck: "🤩", kissing_heart: "😘", yum: "😋", stuck_out_tongue: "😛",
  stuck_out_tongue_winking_eye: "😜", zany_face: "🤪", money_mouth_face: "🤑", hugs: "🤗", hugging_face: "🤗",
  thinking: "🤔", shushing_face: "🤫", zipper_mouth_face: "🤐", raised_eyebrow: "🤨", neutral_face: "😐",
  expressionless: "😑", no_mouth: "😶", smirk: "😏", unamused: "😒", roll_eyes: "🙄", grimacing: "😬",
  relieved: "😌", pensive: "😔", sleepy: "😪", sleeping: "😴", mask: "😷", nerd_face: "🤓", sunglasses: "😎",
  confused: "😕", worried: "😟", slightly_frowning_face: "🙁", frowning: "😦", open_mouth: "😮",
  hushed: "😯", astonished: "😲", flushed: "😳", pleading_face: "🥺", anguished: "😧", fearful: "😨",
  cold_sweat: "😰", cry: "😢", sob: "😭", scream: "😱", confounded: "😖", persevere: "😣",
  disappointed: "😞", sweat: "😓", weary: "😩", tired_face: "😫", yawning_face: "🥱", triumph: "😤",
  rage: "😡", angry: "😠", skull: "💀", poop: "💩", hankey: "💩", clown_face: "🤡", ghost: "👻",
  alien: "👽", robot: "🤖", smiley_cat: "😺", see_no_evil: "🙈", hear_no_evil: "🙉", speak_no_evil: "🙊",
  partying_face: "🥳", woozy_face: "🥴", hot_face: "🥵", cold_face: "🥶", exploding_head: "🤯",
  face_with_monocle: "🧐", cowboy_hat_face: "🤠", melting_face: "🫠", saluting_face: "🫡",
  face_palm: "🤦", facepalm: "🤦", shrug: "🤷",
  // hands and people
  "+1": "👍", thumbsup: "👍", "-1": "👎", thumbsdown: "👎", ok_hand: "👌", wave: "👋", clap: "👏",
  raised_hands: "🙌", pray: "🙏", handshake: "🤝", muscle: "💪", point_up: "☝️", point_down: "👇",
  point_left: "👈", point_right: "👉", v: "✌️", crossed_fingers: "🤞", metal: "🤘", call_me_hand: "🤙",
  raised_hand: "✋", hand: "✋", fist: "✊", punch: "👊", writing_hand: "✍️", eyes: "👀", eye: "👁️",
  brain: "🧠", baby: "👶", man: "👨", woman: "👩", person_raising_hand: "🙋", bow: "🙇",
  dancer: "💃", runner: "🏃", running: "🏃", walking: "🚶",
  // hearts and symbols
  heart: "❤️", orange_heart: "🧡", yellow_heart: "💛", green_heart: "💚", blue_heart: "💙",
  purple_heart: "💜", black_heart: "🖤", white_heart: "🤍", broken_heart: "💔", two_hearts: "💕",
  sparkling_heart: "💖", heartpulse: "💗", kiss: "💋", "100": "💯", fire: "🔥", sparkles: "✨",
  star: "⭐", star2: "🌟", dizzy: "💫", boom: "💥", collision: "💥", zap: "⚡", tada: "🎉",
  confetti_ball: "🎊", balloon: "🎈", gift: "🎁", trophy: "🏆", medal_sports: "🏅", first_place_medal: "🥇",
  white_check_mark: "✅", heavy_check_mark: "✔️", check: "✔️", x: "❌", negative_squared_cross_mark: "❎",
  warning: "⚠️", no_entry: "⛔", no_entry_sign: "🚫", question: "❓", grey_question: "❔",
  exclamation: "❗", bangbang: "‼️", interrobang: "⁉️", bulb: "💡", bell: "🔔", no_bell: "🔕",
  lock: "🔒", unlock: "🔓", key: "🔑", link: "🔗", pushpin: "📌", round_pushpin: "📍", paperclip: "📎",
  mag: "🔍", memo: "📝", pencil2: "✏️", book: "📖", books: "📚", calendar: "📅", date: "📅",
  chart_with_upwards_trend: "📈", chart_with_downwards_trend: "📉", clipboard: "📋", email: "📧",
  envelope: "✉️", inbox_tray: "📥", outbox_tray: "📤", package: "📦", speech_balloon: "💬",
  thought_balloon: "💭", zzz: "💤", hourglass: "⌛", stopwatch: "⏱️", alarm_clock: "⏰", watch: "⌚",
  recycle: "♻️", infinity: "♾️", copyright: "©️", registered: "®️", tm: "™️", arrow_up: "⬆️",
  arrow_down: "⬇️", arrow_left: "⬅️", arrow_right: "➡️", arrows_counterclockwise: "🔄",
  red_circle: "🔴", green_circle: "🟢", yellow_circle: "🟡", large_blue_circle: "🔵", white_circle: "⚪",
  black_circle: "⚫", triangular_flag_on_post: "🚩", checkered_flag: "🏁", rainbow_flag: "🏳️‍🌈",
  // objects and activities
  rocket: "🚀", airplane: "✈️", car: "🚗", bike: "🚲", ship: "🚢", house: "🏠", office: "🏢",
  computer: "💻", keyboard: "⌨️", desktop_computer: "🖥️", iphone: "📱", phone: "☎️", telephone: "☎️",
  camera: "📷", tv: "📺", headphones: "🎧", microphone: "🎤", musical_note: "🎵", notes: "🎶",
  guitar: "🎸", video_game: "🎮", game_die: "🎲", dart: "🎯", soccer: "⚽", basketball: "🏀",
  football: "🏈", tennis: "🎾", art: "🎨", hammer: "🔨", wrench: "🔧", gear: "⚙️", nut_and_bolt: "🔩",
  hammer_and_wrench: "🛠️", bug: "🐛", construction: "🚧", rotating_light: "🚨", moneybag: "💰",
  dollar: "💵", euro: "💶", credit_card: "💳", gem: "💎", shopping_cart: "🛒", scissors: "✂️",
  wastebasket: "🗑️", bookmark: "🔖", label: "🏷️", money_with_wings: "💸", hourglass_flowing_sand: "⏳",
  // food and drink
  coffee: "☕", tea: "🍵", beer: "🍺", beers: "🍻", wine_glass: "🍷", champagne: "🍾", cocktail: "🍸",
  tropical_drink: "🍹", pizza: "🍕", hamburger: "🍔", fries: "🍟", hotdog: "🌭", taco: "🌮",
  burrito: "🌯", sushi: "🍣", ramen: "🍜", spaghetti: "🍝", bread: "🍞", croissant: "🥐", cheese: "🧀",
  egg: "🥚", cake: "🍰", birthday: "🎂", cookie: "🍪", doughnut: "🍩", chocolate_bar: "🍫",
  popcorn: "🍿", ice_cream: "🍨", apple: "🍎", green_apple: "🍏", banana: "🍌", grapes: "🍇",
  strawberry: "🍓", watermelon: "🍉", peach: "🍑", cherries: "🍒", lemon: "🍋", avocado: "🥑",
  eggplant: "🍆", carrot: "🥕", corn: "🌽", hot_pepper: "🌶️",
  // nature and weather
  sunny: "☀️", cloud: "☁️", partly_sunny: "⛅", umbrella: "☔", snowflake: "❄️", snowman: "⛄",
  rainbow: "🌈", ocean: "🌊", earth_africa: "🌍", earth_americas: "🌎", globe_with_meridians: "🌐",
  moon: "🌙", crescent_moon: "🌙", full_moon: "🌕", new_moon: "🌑", seedling: "🌱", evergreen_tree: "🌲",
  deciduous_tree: "🌳", palm_tree: "🌴", cactus: "🌵", four_leaf_clover: "🍀", maple_leaf: "🍁",
  fallen_leaf: "🍂", rose: "🌹", tulip: "🌷", sunflower: "🌻", cherry_blossom: "🌸", bouquet: "💐",
  mushroom: "🍄", dog: "🐶", cat: "🐱", mouse: "🐭", rabbit: "🐰", fox_face: "🦊", bear: "🐻",
  panda_face: "🐼", koala: "🐨", tiger: "🐯", lion: "🦁", cow: "🐮", pig: "🐷", frog: "🐸",
  monkey_face: "🐵", chicken: "🐔", penguin: "🐧", bird: "🐦", owl: "🦉", unicorn: "🦄", bee: "🐝",
  butterfly: "🦋", snail: "🐌", turtle: "🐢", snake: "🐍", octopus: "🐙", whale: "🐳", dolphin: "🐬",
  fish: "🐟", crab: "🦀", sloth: "🦥", t_rex: "🦖", dragon: "🐉",
};

/** The emoji for a shortcode (without colons), or undefined. */
export function emojiFor(code: string): string | undefined {
  return Object.hasOwn(TABLE, code) ? TABLE[code] : undefined;
}

/** How many shortcodes the table knows (a test keeps it compact). */
export const SHORTCODE_COUNT = Object.keys(TABLE).length;

/** The composer's picker: common emoji, each with the shortcode that names it. */
export const PICKER: readonly { code: string; emoji: string }[] = [
  "smile", "joy", "slightly_smiling_face", "wink", "blush", "heart_eyes", "thinking", "sunglasses",
  "open_mouth", "cry", "sob", "rage", "partying_face", "exploding_head", "shrug", "facepalm",
  "+1", "-1", "ok_hand", "wave", "clap", "raised_hands", "pray", "muscle",
  "heart", "broken_heart", "fire", "sparkles", "tada", "100", "eyes", "rocket",
  "white_check_mark", "x", "warning", "bulb", "coffee", "pizza", "beers", "birthday",
].map((code) => ({ code, emoji: TABLE[code]! }));

// ---- the composer's : autocomplete ----

export interface EmojiQuery {
  /** Index of the ":". */
  start: number;
  /** What follows the ":" up to the caret (two characters at least). */
  prefix: string;
}

/** The `:prefix` the caret is at the end of, when a shortcode is being typed. */
export function emojiQuery(text: string, caret: number): EmojiQuery | undefined {
  const m = /(^|\s)(:([a-z0-9_+-]{2,40}))$/.exec(text.slice(0, caret));
  if (!m) return undefined;
  return { start: caret - m[2]!.length, prefix: m[3]! };
}

/** Shortcodes for `prefix`: those starting with it first, then those containing it; at most `limit`. */
export function emojiCandidates(prefix: string, limit = 6): { code: string; emoji: string }[] {
  const p = prefix.toLowerCase();
  const codes = Object.keys(TABLE);
  const starts = codes.filter((c) => c.startsWith(p)).sort();
  const contains = codes.filter((c) => !c.startsWith(p) && c.includes(p)).sort();
  return [...starts, ...contains].slice(0, limit).map((code) => ({ code, emoji: TABLE[code]! }));
}

/** Replaces the `:prefix` at `q` with the emoji and a space, and says where the caret goes. */
export function completeEmoji(text: string, caret: number, q: EmojiQuery, emoji: string): { text: string; caret: number } {
  const rest = text.slice(caret).replace(/^[a-z0-9_+-]*:?/, "").replace(/^ /, "");
  const inserted = `${emoji} `;
  return { text: text.slice(0, q.start) + inserted + rest, caret: q.start + inserted.length };
}

/** Puts `emoji` at the caret (the picker's choice), and says where the caret goes. */
export function insertAt(text: string, start: number, end: number, emoji: string): { text: string; caret: number } {
  return { text: text.slice(0, start) + emoji + text.slice(end), caret: start + emoji.length };
}
