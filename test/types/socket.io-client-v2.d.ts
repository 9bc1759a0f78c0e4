// The Flask template's client (Socket.IO 2, Engine.IO 3), used only to prove allowEIO3 works.
declare module "socket.io-client-v2" {
  export interface LegacySocket {
    connected: boolean;
    on(event: string, fn: (...args: any[]) => void): LegacySocket;
    once(event: string, fn: (...args: any[]) => void): LegacySocket;
    emit(event: string, ...args: unknown[]): LegacySocket;
    close(): void;
  }
  function io(url: string, opts?: Record<string, unknown>): LegacySocket;
  export default io;
}
