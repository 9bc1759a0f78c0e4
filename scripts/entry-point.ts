/** Whether the module at `moduleUrl` is the script node (or tsx) was started with, not an import. */
import { realpathSync } from "node:fs";
import { pathToFileURL } from "node:url";

export function isEntryPoint(moduleUrl: string): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return moduleUrl === pathToFileURL(realpathSync(script)).href;
  } catch {
    return false;
  }
}
