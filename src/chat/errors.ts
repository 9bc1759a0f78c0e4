/** Chat throws the node's contract errors (src/errors.ts), which handle() and http/ answer with. */
export { ChatError } from "../errors.js";
