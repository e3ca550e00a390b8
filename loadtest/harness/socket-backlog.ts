import { execFileSync } from "node:child_process";

/**
 * What the kernel holds for a server on `port` that has not read it: while
 * the server is frozen (SIGSTOP), every request a client sent it waits here,
 * whether or not the client has since given up. Read with `ss` (iproute2),
 * from outside: nothing in the path is changed to count.
 */
export interface SocketBacklog {
  /** Connections to the server, accepted or waiting to be. */
  connections: number;
  /** Connections with request bytes the server has not read: requests waiting. */
  unread: number;
  /** Of `unread`, those the client has closed (it gave up: timeout, retry): CLOSE-WAIT. */
  abandoned: number;
  /** Bytes of those requests. */
  unreadBytes: number;
  /** Connections the server has not accepted yet (its listen queue). */
  unaccepted: number;
}

/** The server side of every TCP connection to `port`, and its listen queue. */
export function socketBacklog(port: number): SocketBacklog {
  const out = execFileSync("ss", ["-tnH", "state", "all", `( sport = :${port} )`], {
    encoding: "utf8",
  });
  const backlog: SocketBacklog = {
    connections: 0,
    unread: 0,
    abandoned: 0,
    unreadBytes: 0,
    unaccepted: 0,
  };
  for (const line of out.split("\n")) {
    const [state, recvQ] = line.trim().split(/\s+/);
    if (!state || recvQ === undefined) continue;
    const bytes = Number(recvQ);
    if (state === "LISTEN") {
      backlog.unaccepted += bytes;
      continue;
    }
    backlog.connections++;
    if (bytes > 0) {
      backlog.unread++;
      backlog.unreadBytes += bytes;
      if (state === "CLOSE-WAIT") backlog.abandoned++;
    }
  }
  return backlog;
}
